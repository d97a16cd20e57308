//! The `callister` binary: the command line lives in the library
//! (`callister::cli`, the `cli` feature); this only prepares the process.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing to a closed pipe (`| head`) would
    // panic; the default action ends the process quietly, like other tools.
    #[cfg(unix)]
    // SAFETY: called first thing, before any thread starts; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    callister::cli::run()
}
