//! Ctrl-C for commands that run a while and still report (nat-type --lifetime, turn load): the
//! first one sets a flag the command's loop looks at, a second one ends the process at once
//! (exit 130).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag that the first Ctrl-C sets.
pub fn ctrl_c_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = std::thread::Builder::new().name("ctrl-c".into()).spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        rt.block_on(async {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            flag.store(true, Ordering::Relaxed);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        });
    });
    stop
}
