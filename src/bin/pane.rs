//! The Outlook task pane page (`pane.html`, served at `/pane`): its own wasm bundle, so
//! the pane does not carry the standalone scheduler.

fn main() {
    console_error_panic_hook::set_once();
    // Leptos starts its executor when it mounts; until then, wasm-bindgen-futures runs this.
    wasm_bindgen_futures::spawn_local(async {
        let host = cvi_addin::host::detect().await;
        cvi_addin::host::apply_theme(host.theme());
        // The host's language: its words first (English is built in), then the page.
        let lang = cvi_addin::host::apply_lang(&*host);
        cvi_addin::words::load(cvi_addin::words::ADDIN, lang).await;
        leptos::mount::mount_to_body(cvi_addin::app::PanePage);
    });
}
