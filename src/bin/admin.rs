//! The admin console page (`admin.html`, served at `/admin`): its own wasm bundle, so the
//! organizer's pane does not grow with it.

fn main() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let host = cvi_addin::host::detect().await;
        cvi_addin::host::apply_theme(host.theme());
        // The host's language (the browser's, or Teams'): its words first, then the page.
        let lang = cvi_addin::host::apply_lang(&*host);
        cvi_addin::words::load(cvi_addin::words::CONSOLE, lang).await;
        leptos::mount::mount_to_body(cvi_addin::admin::AdminApp);
    });
}
