//! Procedural macros for keel: `#[derive(Actor)]`, `#[keel::messages]` and
//! `#[derive(Supervisor)]`.
//!
//! Use them through `keel` (`use keel::prelude::*;` brings the derive, and
//! the attribute is written `#[keel::messages]`), which re-exports this
//! crate. Generated code names keel only through `::keel::__private`, or
//! the path given with `crate = "..."`.
//!
//! The crate is a pipeline: `attr` parses `#[actor(...)]` and the
//! `#[keel::messages(...)]` arguments, `ast` reads a messages block into a
//! model, `valid` holds the rules it must follow (every check a spanned
//! `syn::Error`), `expand` writes the code, and `fallback` writes what
//! stands in for it when the input has errors, so that one mistake gives
//! one error rather than a cascade. `supervisor` is the same pipeline for
//! `#[derive(Supervisor)]`, in its own modules.
mod ast;
mod attr;
mod expand;
mod fallback;
mod supervisor;
mod valid;

use proc_macro::TokenStream;

/// Implements `keel::Actor` for a struct or enum whose messages come from a
/// `#[keel::messages]` impl block.
///
/// The message type is the `{Actor}Msg` enum that the messages block
/// generates, and `handle` dispatches each variant to its method. The block
/// may live in any module of the crate.
///
/// # Attributes
///
/// All optional, in one or more `#[actor(...)]`:
///
/// | attribute | meaning |
/// |---|---|
/// | `name = "..."` | the name in traces (default: the type's name) |
/// | `bounded = N` | a bounded mailbox of `N` messages (`N` ≥ 1) |
/// | `overflow = DropNewest` | with `bounded`: what `tell` does when full (`FailFast`, the default, or `DropNewest`) |
/// | `unbounded` | an unbounded mailbox, whatever the System's default |
/// | `dispatcher = "..."` | run on a named dispatcher of the System |
/// | `blocking` | run on the blocking dispatcher (a thread per actor) |
/// | `error = Type` | the actor's `Error` type (default `std::convert::Infallible`) |
/// | `started = path` | hook: `async fn(&mut self, &mut Context<Self>) -> R`, `R` one of `()`, `Start`, `Result<(), Error>`, `Result<Start, Error>` |
/// | `stopped = path` | hook: `async fn(&mut self, &ExitReason, &mut Context<Self>)` |
/// | `on_exit = path` | hook: `async fn(&mut self, AnyRef, ExitReason, &mut Context<Self>) -> R`, `R` is `()` or `Result<(), Error>` |
/// | `on_down = path` | hook: `async fn(&mut self, MonitorRef, ExitReason, &mut Context<Self>) -> R`, as `on_exit` |
/// | `crate = "path"` | where keel is, if not `::keel` |
///
/// Hooks are named by path (`started = Self::init`) and are `async`; a hook
/// that is not named keeps `Actor`'s default. The hook rules are
/// `keel::Actor`'s: `stopped` does not run after `kill`, for instance.
///
/// ```
/// use keel::prelude::*;
///
/// #[derive(Actor, Default)]
/// #[actor(bounded = 64, started = Self::init)]
/// struct Counter { n: u64 }
///
/// impl Counter {
///     async fn init(&mut self, _ctx: &mut Context<Self>) {
///         self.n = 10;
///     }
/// }
///
/// #[keel::messages]
/// impl Counter {
///     #[message]
///     fn get(&self) -> u64 { self.n }
/// }
/// # let system = System::new();
/// # let counter = system.spawn(Counter::default());
/// # assert_eq!(keel::__internal::block_on(counter.get()).unwrap(), 10);
/// # system.shutdown_blocking().unwrap();
/// ```
///
/// A type with this derive and no messages block does not compile: the
/// error says which macro is missing.
#[proc_macro_derive(Actor, attributes(actor))]
pub fn derive_actor(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive_actor(&input).into()
}

/// Makes a struct a supervisor: each field is a child, started in field
/// order, and the attributes are the supervisor's flags and the children's
/// specs (OTP's supervisor flags and child specifications).
///
/// A field is a worker, an actor: every start of the child clones the
/// field, so its type is `Clone` (the first start too: the field is the
/// prototype, never run itself). With `#[child(supervisor)]` the field is a
/// supervisor: a type that derives `Supervisor` itself (or any
/// `Into<Supervisor>`, such as a built `Supervisor` or a
/// `DynamicSupervisor`), started afresh, children and all, on every start.
///
/// For `struct App` it generates:
///
/// - `impl From<App> for Supervisor`, so that `system.supervise(app)` and
///   nesting work (as a `#[child(supervisor)]` field, or
///   `ChildSpec::supervisor(id, Supervisor::from(app))`);
/// - `AppRefs`, with `App`'s visibility: `supervisor: SupervisorRef`, and
///   per field (with that field's visibility) an `Option<ActorRef<Db>>`
///   for a worker or an `Option<SupervisorRef>` for a supervisor. A field
///   is `None` if that child was not running when the refs were read (its
///   `started` returned `Start::Ignore`, or it had ended and was not
///   restarted). A ref stays valid across the restarts its supervisor
///   decides, as a supervised child keeps its address; a child stopped and
///   started again with `restart_child`, and the children of a nested
///   supervisor that restarted, are on new addresses: read the refs again
///   (`from_supervisor`);
/// - `App::supervise(self, &system)`, which starts the tree as
///   `system.supervise` does and returns `Result<AppRefs, StartError>`;
/// - `AppRefs::from_supervisor(&supervisor)`, the refs of a running `App`
///   supervisor, such as a nested one: `Result<AppRefs, SupervisorError>`.
///
/// These names (`AppRefs`, `App::supervise`) must be free in the module.
///
/// # Attributes
///
/// On the struct, all optional, in one or more `#[supervisor(...)]`:
///
/// | attribute | meaning |
/// |---|---|
/// | `strategy = OneForAll` | `OneForOne` (the default), `OneForAll` or `RestForOne` |
/// | `max_restarts = 3` | at most this many restarts within the window (default 3) |
/// | `within_secs = 5` | the restart window in seconds, above zero (default 5) |
/// | `within_ms = 500` | or in milliseconds (not both) |
/// | `auto_shutdown = AnySignificant` | `Never` (the default), `AnySignificant` or `AllSignificant`: when significant children's ends stop the supervisor |
/// | `crate = "path"` | where keel is, if not `::keel` |
///
/// On a field, all optional, in one or more `#[child(...)]`:
///
/// | attribute | meaning |
/// |---|---|
/// | `restart = Transient` | `Permanent` (the default), `Transient` or `Temporary` |
/// | `shutdown = 1000` | `BrutalKill`, `Infinity`, or a timeout in milliseconds (default: 5000 for a worker, `Infinity` for a supervisor) |
/// | `significant` | the child's end (without a restart) triggers `auto_shutdown`; `Transient` and `Temporary` children only |
/// | `name = "..."` | registers each incarnation under this name (`system.whereis`) |
/// | `id = "..."` | the child's id (default: the field's name) |
/// | `supervisor` | the field is a supervisor, not an actor |
///
/// ```
/// use keel::prelude::*;
/// use keel::Supervisor;
///
/// #[derive(Actor, Clone, Default)]
/// struct Db {
///     rows: u64,
/// }
///
/// #[keel::messages]
/// impl Db {
///     #[message]
///     fn insert(&mut self) -> u64 {
///         self.rows += 1;
///         self.rows
///     }
/// }
///
/// #[derive(Actor, Clone, Default)]
/// struct Cache;
///
/// #[keel::messages]
/// impl Cache {
///     #[message]
///     fn ping(&self) -> bool {
///         true
///     }
/// }
///
/// /// A unit of work: it ends when its `parse` stage does (a significant
/// /// child), and `store` restarts whenever `parse` does.
/// #[derive(Supervisor, Default)]
/// #[supervisor(strategy = RestForOne, within_ms = 500, auto_shutdown = AnySignificant)]
/// struct Pipeline {
///     #[child(restart = Transient, significant, shutdown = 1000)]
///     parse: Cache,
///     #[child(shutdown = Infinity)]
///     store: Cache,
/// }
///
/// #[derive(Supervisor, Default)]
/// #[supervisor(strategy = OneForAll, max_restarts = 3, within_secs = 5)]
/// struct App {
///     #[child(shutdown = BrutalKill, name = "db")]
///     db: Db,
///     #[child(id = "the-cache", restart = Temporary)]
///     cache: Cache,
///     // Transient: once the pipeline has ended its work, it stays ended.
///     #[child(supervisor, restart = Transient)]
///     pipeline: Pipeline,
/// }
///
/// # keel::__internal::block_on(async {
/// let system = System::new();
/// let app: AppRefs = App::default().supervise(&system).await.unwrap();
/// let db = app.db.expect("db is running");
/// assert_eq!(db.insert().await.unwrap(), 1);
/// assert_eq!(system.whereis::<Db>("db").unwrap(), db);
///
/// let pipeline = app.pipeline.expect("the pipeline is running");
/// let stages = PipelineRefs::from_supervisor(&pipeline).await.unwrap();
/// assert!(stages.store.unwrap().ping().await.unwrap());
/// system.shutdown().await;
/// # });
/// ```
///
/// Mistakes are compile errors on the offending attribute: an unknown or
/// repeated key, a value of the wrong kind, a zero window or both
/// `within_secs` and `within_ms`, an empty `name` or `id`, two children
/// with one id (or one registered name), a `significant` child that is
/// `Permanent` or under `auto_shutdown = Never` (OTP's `bad_combination`),
/// a field named `supervisor` (`AppRefs` has one), and anything but a
/// non-generic struct with named fields. So a derived supervisor that
/// compiles always builds.
#[proc_macro_derive(Supervisor, attributes(supervisor, child))]
pub fn derive_supervisor(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    supervisor::derive(&input).into()
}

/// Turns the `#[message]` methods of an actor's impl block into its
/// messages.
///
/// For an actor `Counter` it generates:
///
/// - `CounterMsg`, an enum with one variant per message (`add` →
///   `CounterMsg::Add(u64)`; an ask's last field is its `ReplyTo<T>`; a
///   tell without arguments is a unit variant), and the dispatch that
///   `#[derive(Actor)]` calls;
/// - `CounterRef`, a trait with one method per message, implemented for
///   `ActorRef<Counter>` and for `Timed<'_, Counter>` (what
///   `ask_timeout(d)` returns), and in fact for the refs of any actor whose
///   messages are `CounterMsg`. `use` it where messages are sent.
///
/// Both are `pub` whatever the actor's visibility (a public actor's
/// `type Msg` may not name a private enum), and documented, so the
/// crate stays clean under `#![deny(missing_docs)]`; a message's doc
/// comment, `#[allow]`s, `#[cfg]` and `#[deprecated]` carry over to what is
/// generated for it.
///
/// A method with no return value is a **tell**: the ref's method returns
/// `Result<(), TellError<CounterMsg>>` at once. A method that returns `T` is
/// an **ask**: the ref's method returns an `AskFuture<T>` whose output is
/// `Result<T, AskError>`. A `Result` return is a reply like any other: it
/// goes back to the asker whole and never stops the actor.
///
/// A message takes `&self` or `&mut self`, owned (`'static`) arguments and
/// optionally `ctx: &mut Context<Self>` last; it may be `async` if it takes
/// `&mut self`. Other methods of the block are left alone. Generic actors
/// work: the block's generics and bounds carry over to the enum and trait.
///
/// ```
/// use keel::prelude::*;
///
/// #[derive(Actor, Default)]
/// struct Counter { n: u64 }
///
/// #[keel::messages]
/// impl Counter {
///     /// Adds `by`.
///     #[message]
///     fn add(&mut self, by: u64) { self.n += by; }
///
///     /// The count so far.
///     #[message]
///     fn get(&self) -> u64 { self.n }
/// }
///
/// # keel::__internal::block_on(async {
/// let system = System::new();
/// let counter = system.spawn(Counter::default());
/// counter.add(5).unwrap();
/// assert_eq!(counter.get().await.unwrap(), 5);
/// system.shutdown().await;
/// # });
/// ```
///
/// Arguments: `crate = "path"` if keel is not `::keel`.
///
/// Mistakes are compile errors on the offending item: a message named like a
/// method that refs already have (`stop`, `clone`, ...), a borrowed
/// argument or return type, an `async fn` taking `&self` (its future would
/// need `Self: Sync`), a generic method, two blocks for one actor.
#[proc_macro_attribute]
pub fn messages(args: TokenStream, item: TokenStream) -> TokenStream {
    let item2: proc_macro2::TokenStream = item.clone().into();
    let args = match attr::MessagesArgs::parse(args.into()) {
        Ok(args) => args,
        Err(e) => return fallback::messages(e, None, item2, &expand::private_path(None)).into(),
    };
    let block = syn::parse_macro_input!(item as syn::ItemImpl);
    expand::messages(args, block).into()
}

/// Marks a method of a `#[keel::messages]` impl block as a message.
///
/// The messages block consumes it; anywhere else it is a compile error.
#[proc_macro_attribute]
pub fn message(args: TokenStream, item: TokenStream) -> TokenStream {
    fallback::stray_message(args.into(), item.into()).into()
}
