//! `#[derive(Supervisor)]` on a struct that a `macro_rules!` writes, its
//! field types coming from the macro's input (another hygiene context).
use keel::prelude::*;

#[derive(Actor, Clone, Default)]
struct Db;

#[keel::messages]
impl Db {
    #[message]
    fn ping(&self) -> bool {
        true
    }
}

macro_rules! tree {
    ($name:ident { $($field:ident : $ty:ty),* }) => {
        #[derive(Supervisor)]
        struct $name {
            $($field: $ty),*
        }
    };
}

tree!(App { db: Db, replica: Db });

#[tokio::main]
async fn main() {
    let system = System::new();
    let app = App { db: Db, replica: Db }.supervise(&system).await.unwrap();
    let refs = app.clone();
    println!("{refs:?}");
    assert!(app.db.unwrap().ping().await.unwrap());
    assert!(app.replica.unwrap().ping().await.unwrap());
    system.shutdown().await;
}
