//! The Teams tab page (`teams.html`, served at `/teams`): its own wasm bundle, so the
//! Outlook pane does not carry the tab's scheduling form.

fn main() {
    cvi_addin::app::start(cvi_addin::words::ADDIN, cvi_addin::teams_tab::page);
}
