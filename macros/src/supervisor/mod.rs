//! `#[derive(Supervisor)]`: a struct whose fields are a supervisor's
//! children, in start order.
//!
//! The same pipeline as the crate's other macros: [`attr`] reads
//! `#[supervisor(...)]` and each field's `#[child(...)]` into a [`Tree`],
//! [`valid`] holds the rules between settings (every check a spanned
//! `syn::Error`), and [`expand`] writes the code. Errors are collected, not
//! stopped at the first; a setting that is wrong is left out, so what is
//! generated beside the errors still compiles and each mistake gives one
//! error. A type that is not a plain struct with named fields gets the
//! crate's fallback: the error and the generated items over no children.
pub(crate) mod attr;
pub(crate) mod expand;
pub(crate) mod valid;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Error};

use self::attr::{Child, Flags};
use crate::attr::Errors;

/// A derived supervisor, read: its flags and its children in field order.
pub(crate) struct Tree {
    pub(crate) flags: Flags,
    pub(crate) children: Vec<Child>,
}

/// `#[derive(Supervisor)]`.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    match read(input) {
        Read::Tree(tree, error) => {
            let krate = crate::expand::private_path(tree.flags.krate.as_ref());
            let errors = error.map(|e| e.to_compile_error());
            let generated = expand::generate(input, &tree, &krate);
            quote!(#errors #generated)
        }
        Read::NotATree(flags, error) => {
            let krate = crate::expand::private_path(flags.krate.as_ref());
            crate::fallback::derive_supervisor(error, input, &krate)
        }
    }
}

/// What [`read`] makes of the input.
enum Read {
    /// A struct with named fields, read, and every error found in it.
    Tree(Tree, Option<Error>),
    /// Not a struct that can be a supervisor (rule 1 of [`valid`]): its
    /// flags (the fallback needs `crate`), and the errors.
    NotATree(Flags, Error),
}

/// Reads and checks the input, collecting every error.
fn read(input: &DeriveInput) -> Read {
    let mut errors = Errors::default();
    let flags = Flags::parse(&input.attrs, &mut errors);
    let fields = match valid::check_shape(input) {
        Ok(fields) => fields,
        Err(e) => {
            errors.push(e);
            let error = errors.into_error().expect("an error was just pushed");
            return Read::NotATree(flags, error);
        }
    };
    let children: Vec<Child> = fields
        .named
        .iter()
        .map(|field| Child::parse(field, &mut errors))
        .collect();
    let mut tree = Tree { flags, children };
    valid::check_tree(&tree, &input.ident, &mut errors);
    valid::check_unmarked_supervisors(&mut tree, &mut errors);
    Read::Tree(tree, errors.into_error())
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    /// The messages of every error in `input`.
    fn errors(input: DeriveInput) -> Vec<String> {
        let error = match read(&input) {
            Read::Tree(_, error) => error,
            Read::NotATree(_, error) => Some(error),
        };
        error
            .into_iter()
            .flat_map(|e| e.into_iter().map(|e| e.to_string()))
            .collect()
    }

    #[test]
    fn a_tree_is_read_in_field_order() {
        let input: DeriveInput = parse_quote! {
            #[supervisor(strategy = OneForAll, max_restarts = 0, within_ms = 250)]
            #[supervisor(auto_shutdown = AllSignificant)]
            struct App {
                /// The store.
                #[child(restart = Transient, significant, shutdown = BrutalKill, name = "db")]
                db: Db,
                #[child(id = "the-cache", shutdown = 1500)]
                cache: Cache,
                #[child(supervisor)]
                r#type: Pipeline,
            }
        };
        let Read::Tree(tree, None) = read(&input) else {
            panic!("no errors expected: {:?}", errors(input));
        };
        let flags = &tree.flags;
        assert_eq!(flags.strategy.as_ref().unwrap(), "OneForAll");
        assert_eq!(flags.max_restarts, Some(0));
        let within = flags.within.as_ref().unwrap();
        assert!(within.millis && within.n == 250);
        let ids: Vec<_> = tree.children.iter().map(|c| c.id.value()).collect();
        assert_eq!(ids, ["db", "the-cache", "type"]);
        let db = &tree.children[0];
        assert!(db.significant.is_some() && db.supervisor.is_none());
        assert_eq!(db.docs.len(), 1);
        assert!(matches!(db.shutdown, Some(attr::ShutdownValue::BrutalKill)));
        assert!(matches!(
            tree.children[1].shutdown,
            Some(attr::ShutdownValue::Millis(1500))
        ));
        assert!(tree.children[2].supervisor.is_some());
    }

    #[test]
    fn every_mistake_is_reported_once() {
        let messages = errors(parse_quote! {
            #[supervisor(strategy = OneForEach, within_secs = 0, within_ms = 5, bogus)]
            #[child(restart = Transient)]
            struct App {
                #[child(restart = Transient, significant)]
                db: Db,
                #[child(shutdown = -1, id = "db", name = "")]
                replica: Db,
                supervisor: Db,
            }
        });
        let expected = [
            "unknown strategy `OneForEach`",
            "the restart window must be above zero",
            "`within_secs` and `within_ms` conflict",
            "unknown `supervisor` attribute `bogus`",
            "`#[child(...)]` goes on a field",
            "a shutdown timeout cannot be negative",
            "a registered name cannot be empty",
            "`significant` needs the supervisor's `auto_shutdown`",
            "a child cannot be named `supervisor`",
            "two children have the id \"db\"",
        ];
        assert_eq!(messages.len(), expected.len(), "{messages:#?}");
        for (message, start) in messages.iter().zip(expected) {
            assert!(message.starts_with(start), "{message:?} is not {start:?}");
        }
    }

    #[test]
    fn a_wrong_value_is_not_judged_as_the_default() {
        // `restart` and `auto_shutdown` are misspelt: each is one error, not
        // also a complaint that the child is permanent or that
        // `auto_shutdown` is `Never`.
        let messages = errors(parse_quote! {
            #[supervisor(auto_shutdown = any_significant)]
            struct App {
                #[child(restart = Transent, significant)]
                db: Db,
            }
        });
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(messages[0].contains("did you mean `AnySignificant`?"));
        assert!(messages[1].starts_with("unknown restart type `Transent`"));
    }

    #[test]
    fn not_a_struct_with_named_fields() {
        for input in [
            parse_quote!(
                struct App(Db);
            ),
            parse_quote!(
                struct App;
            ),
            parse_quote!(
                enum App {
                    Db(Db),
                }
            ),
            parse_quote!(
                struct App<A> {
                    db: A,
                }
            ),
        ] {
            let input: DeriveInput = input;
            assert!(matches!(read(&input), Read::NotATree(..)));
        }
    }
}
