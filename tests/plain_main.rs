//! A System used from a plain `fn main` (no tokio runtime around it): keel
//! owns a tokio runtime for handlers, asks block with `ask_blocking`, and
//! `shutdown_blocking` ends it. (`harness = false`: this file is the
//! program.)
// The loom build compiles only sync + core: there is nothing to run there.
#[cfg(not(keel_loom))]
mod program {
    use std::convert::Infallible;
    use std::time::Duration;

    use keel::prelude::*;

    struct Sleeper;

    impl Actor for Sleeper {
        type Msg = ReplyTo<&'static str>;
        type Error = Infallible;

        async fn handle(
            &mut self,
            r: ReplyTo<&'static str>,
            _ctx: &mut Context<Self>,
        ) -> Result<(), Infallible> {
            // tokio's timer works in a handler although main has no runtime.
            tokio::time::sleep(Duration::from_millis(1)).await;
            r.reply("slept");
            Ok(())
        }
    }

    pub(super) fn main() {
        assert!(tokio::runtime::Handle::try_current().is_err());
        let system = System::new();
        let s = system.spawn(Sleeper);
        assert_eq!(s.ask_blocking(|r| r), Ok("slept"));
        system.shutdown_blocking().unwrap();
        assert_eq!(s.status(), keel::Status::Stopped);
        println!("plain main: ok");
    }
}

fn main() {
    #[cfg(not(keel_loom))]
    program::main();
}
