//! Entry point that Trunk builds: mount the add-in into `<body>`.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(cvi_addin::App);
}
