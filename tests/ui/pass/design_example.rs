// DESIGN.md §4's first code block, as written, run under `#[tokio::main]`.
// Only the ask timeout differs (5 s rather than 50 ms), so that a loaded
// machine cannot make the test flaky.
use std::fmt;
use std::time::Duration;

use keel::prelude::*;

#[derive(Debug, PartialEq)]
struct FetchError(String);

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot fetch {}", self.0)
    }
}

impl std::error::Error for FetchError {}

#[derive(Actor, Default)]
struct Counter {
    n: u64,
}

#[keel::messages]
impl Counter {
    #[message] fn add(&mut self, by: u64) { self.n += by; }            // tell
    #[message] fn get(&self) -> u64 { self.n }                         // ask
    #[message] async fn fetch(&mut self, url: String) -> Result<String, FetchError> {
        tokio::task::yield_now().await;
        match url.strip_prefix("keel://") {
            Some(page) => Ok(format!("{page} (n = {})", self.n)),
            None => Err(FetchError(url)),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let system = System::new();
    let counter: ActorRef<Counter> = system.spawn(Counter::default());
    let added: Result<(), TellError<CounterMsg>> = counter.add(5);
    added?;
    let n = counter.get().await?;
    assert_eq!(n, 5);
    let n = counter.ask_timeout(Duration::from_secs(5)).get().await?;
    assert_eq!(n, 5);
    let url = String::from("keel://home");
    let page: Result<String, FetchError> = counter.fetch(url).await?;
    assert_eq!(page, Ok("home (n = 5)".to_owned()));
    let page = counter.fetch("http://elsewhere".into()).await?;
    assert_eq!(page, Err(FetchError("http://elsewhere".into())));
    // A tell through the timed view behaves as on the ref.
    counter.ask_timeout(Duration::from_secs(5)).add(1)?;
    assert_eq!(counter.get().await?, 6);
    system.shutdown().await;
    Ok(())
}
