//! `#[derive(Supervisor)]` with every attribute, a nested derived
//! supervisor, keel under another name, and the generated refs in use;
//! warning-free under strict lints, for public and private trees.
#![deny(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    warnings
)]

use keel::prelude::*;
use keel::{Supervisor, SupervisorRef};

/// Public trees.
pub mod public {
    use keel::prelude::*;
    use keel::Supervisor;

    /// A store.
    #[derive(Actor, Clone, Debug, Default)]
    pub struct Db {
        rows: u64,
    }

    #[keel::messages]
    impl Db {
        #[message]
        fn insert(&mut self) -> u64 {
            self.rows += 1;
            self.rows
        }
    }

    /// A stage of the pipeline.
    #[derive(Actor, Clone, Debug, Default)]
    pub struct Stage;

    #[keel::messages]
    impl Stage {
        #[message]
        fn ping(&self) -> bool {
            true
        }
    }

    /// Two stages; the second restarts with the first.
    #[derive(Supervisor, Debug, Default)]
    #[supervisor(strategy = RestForOne, max_restarts = 0, within_ms = 250)]
    pub struct Pipeline {
        /// Parses.
        #[child(shutdown = 0)]
        pub parse: Stage,
        // Undocumented: its refs field gets a generated doc.
        #[allow(missing_docs)]
        #[child(shutdown = Infinity, restart = Temporary)]
        pub r#store: Stage,
    }

    /// The application.
    #[derive(Supervisor, Debug, Default)]
    #[supervisor(strategy = OneForAll, max_restarts = 3, within_secs = 5)]
    #[supervisor(auto_shutdown = AllSignificant)]
    pub struct App {
        /// The store, registered as "db".
        #[child(restart = Transient, shutdown = BrutalKill, significant, name = "db")]
        pub db: Db,
        /// A cache.
        #[child(id = "the-cache", restart = Temporary, significant)]
        #[child(shutdown = 1500)]
        pub cache: Stage,
        #[allow(missing_docs)]
        #[child(supervisor, shutdown = 10000, restart = Transient)]
        pub pipeline: Pipeline,
    }
}

/// A private tree, its refs never used: still no warning.
#[derive(Supervisor)]
struct Unused {
    stage: public::Stage,
}

/// Keel under another name.
mod renamed {
    extern crate keel as runtime;

    #[derive(runtime::Supervisor)]
    #[supervisor(crate = "runtime", strategy = OneForOne)]
    pub(crate) struct Small {
        pub(crate) stage: super::public::Stage,
        #[child(supervisor)]
        pub(crate) plain: runtime::Supervisor,
    }
}

#[tokio::main]
async fn main() {
    use public::{DbRef, StageRef};

    let system = System::new();
    let app: public::AppRefs = public::App::default().supervise(&system).await.unwrap();
    let db: ActorRef<public::Db> = app.db.clone().expect("db runs");
    assert_eq!(db.insert().await.unwrap(), 1);
    assert_eq!(system.whereis::<public::Db>("db").unwrap(), db);
    let ids: Vec<String> = app
        .supervisor
        .which_children()
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(ids, ["db", "the-cache", "pipeline"]);

    let pipeline: SupervisorRef = app.pipeline.clone().expect("the pipeline runs");
    let stages = public::PipelineRefs::from_supervisor(&pipeline)
        .await
        .unwrap();
    assert!(stages.parse.as_ref().unwrap().ping().await.unwrap());
    assert!(stages.r#store.as_ref().unwrap().ping().await.unwrap());
    println!("{app:?} {stages:?}");

    let small = renamed::Small {
        stage: public::Stage,
        plain: Supervisor::builder().build().unwrap(),
    }
    .supervise(&system)
    .await
    .unwrap();
    assert!(small.stage.unwrap().ping().await.unwrap());
    assert!(small.plain.is_some());

    let _ = Supervisor::from(Unused {
        stage: public::Stage,
    });
    system.shutdown().await;
}
