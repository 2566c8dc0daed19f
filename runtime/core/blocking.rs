//! Waiting for a future on a plain thread: park until woken.
//!
//! Used where a non-keel thread must wait for something the engine does (the
//! benchmarks' receiving thread, tests); the upper layers will use it for
//! `shutdown_blocking` and `ask_blocking`.
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Runs `fut` to completion on this thread, parking between polls.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        // A wake that came before this park leaves the thread's token set,
        // so park returns at once: no lost wake-up.
        thread::park();
    }
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}
