//! The Outlook task pane page (`pane.html`, served at `/pane`): its own wasm bundle, so
//! the pane does not carry the standalone scheduler.

fn main() {
    cvi_addin::app::start(cvi_addin::words::ADDIN, cvi_addin::app::pane);
}
