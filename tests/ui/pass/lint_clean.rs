//! The generated code is warning-free under strict lints: a public actor in
//! a public module (its messages undocumented, so the generated docs must
//! cover them), a private actor with a private reply type, generic actors,
//! and a messages block whose ref trait is never used.
#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms, warnings)]

use keel::prelude::*;

/// Public actors.
pub mod public {
    use keel::prelude::*;

    /// A counter.
    #[derive(Actor, Debug, Default)]
    pub struct Counter {
        n: u64,
    }

    #[keel::messages]
    impl Counter {
        #[message]
        fn add(&mut self, by: u64) {
            self.n += by;
        }

        /// The count so far.
        #[message]
        pub fn get(&self) -> u64 {
            self.n
        }

        #[message]
        fn r#type(&self) -> &'static str {
            "counter"
        }

        #[cfg(any())]
        #[message]
        fn compiled_out(&mut self, missing: NoSuchType) {}
    }

    /// A store of values of any type.
    #[derive(Actor, Debug)]
    pub struct Store<T: Clone + Send + 'static> {
        items: Vec<T>,
    }

    impl<T: Clone + Send + 'static> Store<T> {
        /// An empty store.
        pub fn new() -> Self {
            Store { items: Vec::new() }
        }
    }

    #[keel::messages]
    impl<T: Clone + Send + 'static> Store<T> {
        #[message]
        fn push(&mut self, item: T) {
            self.items.push(item);
        }

        #[message]
        fn all(&self) -> Vec<T> {
            self.items.clone()
        }
    }

    /// An actor generic over a type that no message mentions.
    #[derive(Actor, Debug)]
    pub struct Tagged<T: Send + 'static, const N: usize> {
        tag: std::marker::PhantomData<fn() -> T>,
    }

    impl<T: Send + 'static, const N: usize> Tagged<T, N> {
        /// A new one.
        pub fn new() -> Self {
            Tagged { tag: std::marker::PhantomData }
        }
    }

    #[keel::messages]
    impl<T: Send + 'static, const N: usize> Tagged<T, N> {
        #[message]
        fn size(&self) -> usize {
            N
        }
    }
}

mod private {
    use keel::prelude::*;

    struct Secret(u64);

    #[derive(Actor)]
    struct Vault;

    #[keel::messages]
    impl Vault {
        #[message]
        fn open(&self) -> Secret {
            Secret(7)
        }
    }

    pub(crate) async fn open(system: &System) -> u64 {
        system.spawn(Vault).open().await.unwrap().0
    }

    /// Its `IdleRef` trait is never used, nor is its message sent.
    #[derive(Actor)]
    struct Idle;

    #[keel::messages]
    impl Idle {
        #[message]
        fn poke(&mut self) {}
    }

    pub(crate) fn spawn_idle(system: &System) {
        system.spawn(Idle).stop();
    }
}

#[tokio::main]
async fn main() {
    use public::{Counter, CounterRef, Store, StoreRef, Tagged, TaggedRef};

    let system = System::new();
    let counter = system.spawn(Counter::default());
    counter.add(2).unwrap();
    assert_eq!(counter.get().await.unwrap(), 2);
    assert_eq!(counter.r#type().await.unwrap(), "counter");

    let store = system.spawn(Store::<String>::new());
    store.push("a".to_owned()).unwrap();
    assert_eq!(store.all().await.unwrap(), ["a"]);

    let tagged = system.spawn(Tagged::<String, 3>::new());
    assert_eq!(tagged.size().await.unwrap(), 3);

    assert_eq!(private::open(&system).await, 7);
    private::spawn_idle(&system);
    system.shutdown().await;
}
