//! Entry point of `index.html` (`/`), the standalone scheduler (which sends Outlook to the
//! pane and Teams to the tab).

fn main() {
    cvi_addin::app::start(cvi_addin::words::ADDIN, cvi_addin::app::index);
}
