//! Two actors in one module with messages of the same names: both ref
//! traits are in scope, and each ref calls its own actor's message.
#![deny(warnings)]
use keel::prelude::*;

#[derive(Actor, Default)]
struct Counter {
    n: u64,
}

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self, by: u64) {
        self.n += by;
    }

    #[message]
    fn get(&self) -> u64 {
        self.n
    }
}

#[derive(Actor, Default)]
struct Names {
    names: Vec<String>,
}

#[keel::messages]
impl Names {
    #[message]
    fn add(&mut self, name: String) {
        self.names.push(name);
    }

    #[message]
    fn get(&self) -> Vec<String> {
        self.names.clone()
    }
}

#[tokio::main]
async fn main() {
    let system = System::new();
    let counter = system.spawn(Counter::default());
    let names = system.spawn(Names::default());
    counter.add(2).unwrap();
    names.add("ada".to_string()).unwrap();
    assert_eq!(counter.get().await.unwrap(), 2);
    assert_eq!(names.get().await.unwrap(), ["ada"]);
    system.shutdown().await;
}
