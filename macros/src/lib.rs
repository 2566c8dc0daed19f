//! Procedural macros for keel: `#[derive(Actor)]` and `#[keel::messages]`.
//!
//! Use them through `keel` (`use keel::prelude::*;` brings the derive, and
//! the attribute is written `#[keel::messages]`), which re-exports this
//! crate. Generated code names keel only through `::keel::__private`, or
//! the path given with `crate = "..."`.
//!
//! The crate is a pipeline: [`attr`] parses `#[actor(...)]` and the
//! `#[keel::messages(...)]` arguments, [`ast`] reads a messages block into a
//! model, [`valid`] holds the rules it must follow (every check a spanned
//! `syn::Error`), [`expand`] writes the code, and [`fallback`] writes what
//! stands in for it when the input has errors, so that one mistake gives
//! one error rather than a cascade.
mod ast;
mod attr;
mod expand;
mod fallback;
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
