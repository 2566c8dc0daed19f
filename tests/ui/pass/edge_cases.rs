//! Inputs that once broke the expansion; each must compile warning-free.
#![deny(warnings)]
use keel::prelude::*;

/// A type parameter named `E`, and `Self` in the block's where clause.
#[derive(Actor, Default)]
struct Bag<E: Send + 'static> {
    items: Vec<E>,
}

#[keel::messages]
impl<E: Send + Clone + 'static> Bag<E>
where
    Self: Default,
{
    #[message]
    fn push(&mut self, e: E) {
        self.items.push(e);
    }

    #[message]
    fn all(&self) -> Vec<E> {
        self.items.clone()
    }
}

/// Every message cfg'd out: the enum is empty.
#[derive(Actor)]
struct Quiet;

#[keel::messages]
impl Quiet {
    #[cfg(any())]
    #[message]
    fn gone(&mut self) {}
}

/// A generic actor with no messages.
#[derive(Actor)]
struct Idle<T: Send + 'static>(#[allow(dead_code)] T);

#[keel::messages]
impl<T: Send + 'static> Idle<T> {}

/// Higher-ranked closures, and hooks that are free functions whose names
/// match the generated hooks' parameters.
#[derive(Actor, Default)]
#[actor(stopped = reason, on_down = monitor)]
struct Runner {
    n: usize,
}

async fn reason(_: &mut Runner, _: &ExitReason, _: &mut Context<Runner>) {}

async fn monitor(
    _: &mut Runner,
    _: keel::MonitorRef,
    _: ExitReason,
    _: &mut Context<Runner>,
) {
}

#[keel::messages]
impl Runner {
    #[message]
    fn apply(&mut self, f: Box<dyn for<'a> Fn(&'a str) -> usize + Send>) -> usize {
        self.n += f("four");
        self.n
    }
}

#[tokio::main]
async fn main() {
    let system = System::new();
    let bag = system.spawn(Bag::<u8>::default());
    bag.push(7).unwrap();
    assert_eq!(bag.all().await.unwrap(), [7]);
    let _quiet = system.spawn(Quiet);
    let _idle = system.spawn(Idle(0u8));
    let runner = system.spawn(Runner::default());
    assert_eq!(runner.apply(Box::new(|s| s.len())).await.unwrap(), 4);
    system.shutdown().await;
}
