//! A System used from `#[tokio::main]` (a multi-thread runtime, which keel
//! then uses for handlers). (`harness = false`: this file is the program.)
// The loom build compiles only sync + core: there is nothing to run there.
#[cfg(not(keel_loom))]
mod program {
    use std::convert::Infallible;
    use std::time::Duration;

    use keel::prelude::*;

    struct Sleeper;

    impl Actor for Sleeper {
        type Msg = ReplyTo<String>;
        type Error = Infallible;

        async fn handle(
            &mut self,
            r: ReplyTo<String>,
            _ctx: &mut Context<Self>,
        ) -> Result<(), Infallible> {
            tokio::time::sleep(Duration::from_millis(1)).await;
            // The handle every keel worker entered is main's runtime's.
            let id = tokio::runtime::Handle::current().id().to_string();
            r.reply(id);
            Ok(())
        }
    }

    #[tokio::main]
    pub(super) async fn main() {
        let ours = tokio::runtime::Handle::current().id().to_string();
        let system = System::new();
        let s = system.spawn(Sleeper);
        assert_eq!(
            s.ask(|r| r).await.unwrap(),
            ours,
            "keel uses the ambient multi-thread runtime"
        );
        let terminated = system.terminated();
        system.shutdown().await;
        assert_eq!(terminated.await, ExitReason::Shutdown);
        println!("tokio main: ok");
    }
}

fn main() {
    #[cfg(not(keel_loom))]
    program::main();
}
