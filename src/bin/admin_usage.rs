//! The admin console's usage page (`admin-usage.html`, served at `/admin-usage`):
//! coordinates in every Teams meeting, meetings, activity and the audit log, in a bundle
//! apart from the set-up page's.

fn main() {
    cvi_addin::app::start(cvi_addin::words::CONSOLE, cvi_addin::admin::usage_page);
}
