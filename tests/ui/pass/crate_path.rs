// keel under other names: `crate = "..."` on both macros makes the
// generated code name that path.
extern crate keel as runtime;

use runtime::prelude::*;

#[derive(Actor, Default)]
#[actor(crate = "runtime", bounded = 8)]
struct Counter {
    n: u64,
}

#[runtime::messages(crate = "runtime")]
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

mod renamed {
    use keel as kl;
    use kl::prelude::*;

    #[derive(Actor)]
    #[actor(crate = "kl", started = Self::init)]
    pub(crate) struct Echo {
        prefix: String,
    }

    impl Echo {
        pub(crate) fn new() -> Self {
            Echo { prefix: String::new() }
        }

        async fn init(&mut self, _ctx: &mut Context<Self>) {
            self.prefix = "echo: ".to_owned();
        }
    }

    #[kl::messages(crate = "kl")]
    impl Echo {
        #[message]
        fn echo(&self, text: String) -> String {
            format!("{}{text}", self.prefix)
        }
    }
}

mod absolute {
    use keel::prelude::*;

    #[derive(Actor)]
    #[actor(crate = "::runtime")]
    pub(crate) struct Unit;

    #[keel::messages(crate = "::runtime")]
    impl Unit {
        #[message]
        fn ping(&self) -> bool {
            true
        }
    }
}

#[tokio::main]
async fn main() {
    use absolute::UnitRef;
    use renamed::EchoRef;

    let system = System::new();
    let counter = system.spawn(Counter::default());
    counter.add(3).unwrap();
    assert_eq!(counter.get().await.unwrap(), 3);

    let echo = system.spawn(renamed::Echo::new());
    assert_eq!(echo.echo("hi".to_owned()).await.unwrap(), "echo: hi");

    let unit = system.spawn(absolute::Unit);
    assert!(unit.ping().await.unwrap());
    system.shutdown().await;
}
