//! The admin console's set-up page (`admin.html`, served at `/admin`): its own wasm bundle,
//! so the organizer's pane does not grow with it.

fn main() {
    // The host's language (the browser's, or Teams'): the console's words first.
    cvi_addin::app::start(cvi_addin::words::CONSOLE, cvi_addin::admin::setup_page);
}
