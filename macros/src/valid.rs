//! The rules a `#[keel::messages]` block must follow, each checked here
//! with an error spanned on what breaks it:
//!
//! 1. the block is an inherent impl of a named type, generic over types and
//!    consts only (actors are `'static`);
//! 2. a message takes `&self` or `&mut self`; `async` only with `&mut self`
//!    (a future holding `&Self` across an await needs `Self: Sync`);
//! 3. a message is not generic, `unsafe` or `extern`;
//! 4. arguments are plain names with owned (`'static`, not `impl Trait`)
//!    types; `ctx: &mut Context<Self>` may come last;
//! 5. the return type, if any, is owned as well (it travels to the asker);
//! 6. a message's name is not one a ref already answers to ([`RESERVED`]),
//!    it gives a variant name, and no two messages give the same one;
//! 7. `#[message]` takes no arguments and marks methods only.
//!
//! Rules 2, 3 and 7 are checked where the method is read (`ast`), the
//! others here.
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit::Visit;
use syn::{Error, GenericParam, Ident, ItemImpl, Result, Type, TypePath};

use crate::ast::Message;
use crate::attr::Errors;

/// Names a message may not take, with the reason: methods of `ActorRef` and
/// `Timed` (an inherent method silently wins over the generated trait's)
/// and methods of traits that refs implement (calls would be ambiguous).
pub(crate) const RESERVED: &[(&str, &str)] = &[
    ("tell", "a method of `ActorRef`"),
    ("send", "a method of `ActorRef`"),
    ("ask", "a method of `ActorRef`"),
    ("ask_timeout", "a method of `ActorRef`"),
    ("ask_blocking", "a method of `ActorRef`"),
    ("stop", "a method of `ActorRef`"),
    ("kill", "a method of `ActorRef`"),
    ("id", "a method of `ActorRef`"),
    ("status", "a method of `ActorRef`"),
    ("is_alive", "a method of `ActorRef`"),
    ("downgrade", "a method of `ActorRef`"),
    ("any", "a method of `ActorRef`"),
    ("recipient", "a method of `ActorRef`"),
    ("link_with", "a method of `ActorRef`"),
    ("monitor_with", "a method of `ActorRef`"),
    ("wait_exit", "a method of `ActorRef`"),
    ("actor", "a method of `Timed` (what `ask_timeout` returns)"),
    (
        "timeout",
        "a method of `Timed` (what `ask_timeout` returns)",
    ),
    ("clone", "the method of `Clone`, which refs implement"),
    ("clone_from", "a method of `Clone`, which refs implement"),
    ("to_owned", "the method of `ToOwned`, which refs implement"),
    ("into", "the method of `Into`, which refs implement"),
    ("try_into", "the method of `TryInto`, which refs implement"),
    ("eq", "a method of `PartialEq`, which refs implement"),
    ("ne", "a method of `PartialEq`, which refs implement"),
    ("hash", "the method of `Hash`, which refs implement"),
    ("borrow", "the method of `Borrow`, which refs implement"),
    (
        "borrow_mut",
        "the method of `BorrowMut`, which refs implement",
    ),
    ("fmt", "the method of `Debug`, which refs implement"),
    ("type_id", "the method of `Any`, which refs implement"),
];

/// Rule 1: an inherent impl of a named type, no lifetime generics.
pub(crate) fn check_header(item: &ItemImpl) -> Result<Ident> {
    if let Some((_, path, _)) = &item.trait_ {
        return Err(Error::new_spanned(
            path,
            "`#[keel::messages]` goes on an inherent impl block (`impl Counter { .. }`), not a \
             trait impl",
        ));
    }
    if let Some(lt) = item.generics.params.iter().find_map(|p| match p {
        GenericParam::Lifetime(lt) => Some(lt),
        _ => None,
    }) {
        return Err(Error::new_spanned(
            lt,
            "an actor is `'static`: its messages block cannot be generic over lifetimes",
        ));
    }
    match &*item.self_ty {
        Type::Path(TypePath { qself: None, path }) => match path.segments.last() {
            Some(last) => Ok(last.ident.clone()),
            None => Err(Error::new_spanned(path, "expected the actor's type")),
        },
        other => Err(Error::new_spanned(
            other,
            "`#[keel::messages]` goes on the impl block of a named type (a struct or enum)",
        )),
    }
}

/// Rule 6, second half: two methods whose variants would be one.
pub(crate) fn check_variants(messages: Vec<Message>, errors: &mut Errors) -> Vec<Message> {
    let mut kept: Vec<Message> = Vec::with_capacity(messages.len());
    for m in messages {
        match kept.iter().find(|o| o.variant == m.variant) {
            Some(first) => errors.push(Error::new(
                m.method.span(),
                format!(
                    "messages `{}` and `{}` both become the variant `{}`; rename one",
                    first.method, m.method, m.variant
                ),
            )),
            None => kept.push(m),
        }
    }
    kept
}

/// Rule 6, first half: not a name refs already answer to.
pub(crate) fn check_name(method: &Ident) -> Result<()> {
    let name = method.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    match RESERVED.iter().find(|(n, _)| *n == name) {
        Some((_, why)) => Err(Error::new(
            method.span(),
            format!(
                "a message cannot be named `{name}`: that is {why}, so a ref's `{name}` would \
                 not send it; rename the message"
            ),
        )),
        None => Ok(()),
    }
}

/// `Some(Ok)` for `&mut Context<..>`, `Some(Err)` for a `&Context<..>`,
/// `None` for anything else.
pub(crate) fn context_arg(ty: &Type) -> Option<Result<()>> {
    let Type::Reference(r) = ty else { return None };
    let Type::Path(p) = &*r.elem else { return None };
    if p.path.segments.last()?.ident != "Context" {
        return None;
    }
    Some(match r.mutability {
        Some(_) => Ok(()),
        None => Err(Error::new_spanned(
            ty,
            "a message takes its context as `ctx: &mut Context<Self>`",
        )),
    })
}

/// Rules 4 and 5: no borrow, no lifetime but `'static`, no `impl Trait`,
/// no `_`.
pub(crate) fn owned(ty: &Type, what: &str) -> Result<()> {
    enum Problem {
        Borrowed,
        ImplTrait,
        Inferred,
    }
    #[derive(Default)]
    struct Finder(Option<(TokenStream, Problem)>);
    impl Finder {
        fn found(&mut self, node: &dyn ToTokens, problem: Problem) {
            self.0
                .get_or_insert_with(|| (node.to_token_stream(), problem));
        }
    }
    impl<'ast> Visit<'ast> for Finder {
        fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
            if r.lifetime.as_ref().is_none_or(|l| l.ident != "static") {
                self.found(r, Problem::Borrowed);
            }
            syn::visit::visit_type_reference(self, r);
        }
        fn visit_lifetime(&mut self, lt: &'ast syn::Lifetime) {
            if lt.ident != "static" {
                self.found(lt, Problem::Borrowed);
            }
        }
        fn visit_type_impl_trait(&mut self, t: &'ast syn::TypeImplTrait) {
            self.found(t, Problem::ImplTrait);
        }
        fn visit_type_infer(&mut self, t: &'ast syn::TypeInfer) {
            self.found(t, Problem::Inferred);
        }
        // `fn(&str)`, `Fn(&mut T)` and `for<'a> Trait<'a>`: their borrows
        // are the function's own (higher-ranked), not the message's.
        fn visit_trait_bound(&mut self, b: &'ast syn::TraitBound) {
            if b.lifetimes.is_none() {
                syn::visit::visit_trait_bound(self, b);
            }
        }
        fn visit_type_bare_fn(&mut self, _: &'ast syn::TypeBareFn) {}
        fn visit_parenthesized_generic_arguments(
            &mut self,
            _: &'ast syn::ParenthesizedGenericArguments,
        ) {
        }
    }
    let mut finder = Finder::default();
    finder.visit_type(ty);
    let Some((node, problem)) = finder.0 else {
        return Ok(());
    };
    let msg = match problem {
        Problem::Borrowed => format!(
            "{what} must be owned (`'static`): messages travel to the actor's thread, and \
             replies back; use an owned type (`String`, `Vec<T>`, `Arc<T>`)"
        ),
        Problem::ImplTrait => format!("{what} cannot be `impl Trait`: name the type"),
        Problem::Inferred => format!("{what} must be written out, not inferred"),
    };
    Err(Error::new_spanned(node, msg))
}

/// Rule 6: `get_count` → `GetCount`, `r#type` → `Type`; an error if the
/// result is not an identifier (`_1st` → `1st`, `self_` → `Self`).
pub(crate) fn variant_name(method: &Ident) -> Result<Ident> {
    let name = method.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    let mut out = String::new();
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    match syn::parse_str::<Ident>(&out) {
        Ok(_) => Ok(Ident::new(&out, method.span())),
        Err(_) => Err(Error::new(
            method.span(),
            format!(
                "the message `{name}` would become the variant `{out}`, which is not a valid \
                 name; rename the message"
            ),
        )),
    }
}
