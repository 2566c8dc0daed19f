//! A `#[keel::messages]` block read into a model, with every rule checked.
//!
//! The rules (each error is spanned on what breaks it):
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
//!    and no two messages map to the same variant;
//! 7. `#[message]` takes no arguments and marks methods only.
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{
    Attribute, Error, FnArg, GenericParam, Ident, ImplItem, ImplItemFn, ItemImpl, Pat, Result,
    ReturnType, Type, TypePath,
};

use crate::attr::Errors;

/// Names a message may not take, with the reason: methods of `ActorRef` and
/// `Timed` (an inherent method silently wins over the generated trait's)
/// and methods of traits that refs implement (calls would be ambiguous).
const RESERVED: &[(&str, &str)] = &[
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

/// A `#[keel::messages]` block.
pub(crate) struct Block {
    /// The actor's type name (`Counter` for `impl<T> Counter<T>`).
    pub(crate) actor: Ident,
    pub(crate) messages: Vec<Message>,
}

/// One `#[message]` method.
pub(crate) struct Message {
    pub(crate) method: Ident,
    pub(crate) variant: Ident,
    pub(crate) is_async: bool,
    /// Argument names and types (`Self` spelled out), without `ctx`.
    pub(crate) args: Vec<(Ident, Type)>,
    pub(crate) takes_ctx: bool,
    /// The reply type of an ask (`Self` spelled out); `None` for a tell.
    pub(crate) reply: Option<Type>,
    /// `#[doc]` attributes of the method, repeated on its variant and ref
    /// method.
    pub(crate) docs: Vec<Attribute>,
    /// `#[deprecated]` of the method, repeated on its ref method (where the
    /// callers are).
    pub(crate) deprecated: Vec<Attribute>,
    /// `#[cfg]` attributes of the method, repeated on everything generated
    /// for it.
    pub(crate) cfgs: Vec<Attribute>,
}

impl Block {
    /// Reads and checks the block, removing the `#[message]` markers from
    /// it (also on error, for the fallback); all errors come together.
    pub(crate) fn parse(item: &mut ItemImpl) -> Result<Block> {
        let mut errors = Errors::default();
        let actor = match check_header(item) {
            Ok(ident) => Some(ident),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let self_ty = (*item.self_ty).clone();
        let mut messages = Vec::new();
        for impl_item in &mut item.items {
            let marker = take_markers(impl_item_attrs(impl_item), &mut errors);
            let Some(marker) = marker else { continue };
            match impl_item {
                ImplItem::Fn(method) => match Message::parse(method, &self_ty) {
                    Ok(m) => messages.push(m),
                    Err(e) => errors.push(e),
                },
                _ => errors.push(Error::new_spanned(
                    marker,
                    "`#[message]` marks a method; this item is not one",
                )),
            }
        }
        check_variants(&messages, &mut errors);
        errors.finish(())?;
        let actor = actor.expect("a header error is recorded");
        Ok(Block { actor, messages })
    }
}

impl Message {
    fn parse(method: &ImplItemFn, self_ty: &Type) -> Result<Message> {
        let sig = &method.sig;
        let mut errors = Errors::default();
        if let Some(unsafety) = &sig.unsafety {
            errors.push(Error::new_spanned(
                unsafety,
                "a message cannot be an `unsafe fn`",
            ));
        }
        if let Some(abi) = &sig.abi {
            errors.push(Error::new_spanned(
                abi,
                "a message cannot have an `extern` ABI",
            ));
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            errors.push(Error::new_spanned(
                &sig.generics,
                "a message cannot be generic: its arguments become fields of the actor's \
                 message enum",
            ));
        }
        let name = sig.ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name);
        if let Some((_, why)) = RESERVED.iter().find(|(n, _)| *n == name) {
            errors.push(Error::new(
                sig.ident.span(),
                format!(
                    "a message cannot be named `{name}`: that is {why}, so a ref's `{name}` \
                     would not send it; rename the message"
                ),
            ));
        }

        let mut inputs = sig.inputs.iter();
        match inputs.next() {
            Some(FnArg::Receiver(r)) if r.reference.is_some() && r.colon_token.is_none() => {
                if sig.asyncness.is_some() && r.mutability.is_none() {
                    errors.push(Error::new_spanned(
                        r,
                        "an `async fn` message must take `&mut self`: a future that holds \
                         `&self` across an await needs `Self: Sync`, which actors need not be",
                    ));
                }
            }
            Some(FnArg::Receiver(r)) => errors.push(Error::new_spanned(
                r,
                "a message takes `&self` or `&mut self`",
            )),
            _ => errors.push(Error::new(
                sig.ident.span(),
                "a message needs a receiver: `&self` or `&mut self`",
            )),
        }

        let rest: Vec<_> = inputs.collect();
        let mut args = Vec::new();
        let mut takes_ctx = false;
        for (i, input) in rest.iter().enumerate() {
            let FnArg::Typed(arg) = input else { continue };
            let name = match &*arg.pat {
                Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
                pat => {
                    errors.push(Error::new_spanned(
                        pat,
                        "a message argument must be a plain name (it becomes a field of the \
                         message)",
                    ));
                    continue;
                }
            };
            match context_arg(&arg.ty) {
                Some(Ok(())) if i + 1 == rest.len() => takes_ctx = true,
                Some(Ok(())) => errors.push(Error::new_spanned(
                    &arg.ty,
                    "`ctx: &mut Context<Self>` must be a message's last argument",
                )),
                Some(Err(e)) => errors.push(e),
                None => match owned(&arg.ty, "a message argument") {
                    Ok(()) => args.push((name, with_self(&arg.ty, self_ty))),
                    Err(e) => errors.push(e),
                },
            }
        }

        let reply = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) if is_unit(ty) => None,
            ReturnType::Type(_, ty) => match owned(ty, "a message's return type") {
                Ok(()) => Some(with_self(ty, self_ty)),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };

        errors.finish(())?;
        Ok(Message {
            method: sig.ident.clone(),
            variant: variant_name(&sig.ident),
            is_async: sig.asyncness.is_some(),
            args,
            takes_ctx,
            reply,
            docs: attrs_named(&method.attrs, "doc"),
            deprecated: attrs_named(&method.attrs, "deprecated"),
            cfgs: attrs_named(&method.attrs, "cfg"),
        })
    }
}

/// Rule 1: an inherent impl of a named type, no lifetime generics.
fn check_header(item: &ItemImpl) -> Result<Ident> {
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
fn check_variants(messages: &[Message], errors: &mut Errors) {
    for (i, m) in messages.iter().enumerate() {
        if let Some(first) = messages[..i].iter().find(|o| o.variant == m.variant) {
            errors.push(Error::new(
                m.method.span(),
                format!(
                    "messages `{}` and `{}` both become the variant `{}`; rename one",
                    first.method, m.method, m.variant
                ),
            ));
        }
    }
}

fn impl_item_attrs(item: &mut ImplItem) -> Option<&mut Vec<Attribute>> {
    match item {
        ImplItem::Fn(f) => Some(&mut f.attrs),
        ImplItem::Const(c) => Some(&mut c.attrs),
        ImplItem::Type(t) => Some(&mut t.attrs),
        ImplItem::Macro(m) => Some(&mut m.attrs),
        _ => None,
    }
}

/// Removes the `#[message]` markers from `attrs`, returning the first
/// (rule 7: a marker with arguments, or a second one, is an error).
fn take_markers(attrs: Option<&mut Vec<Attribute>>, errors: &mut Errors) -> Option<Attribute> {
    let attrs = attrs?;
    let mut found: Option<Attribute> = None;
    attrs.retain(|attr| {
        if !is_marker(attr) {
            return true;
        }
        if attr.meta.require_path_only().is_err() {
            errors.push(Error::new_spanned(
                &attr.meta,
                "`#[message]` takes no arguments",
            ));
        }
        if found.is_some() {
            errors.push(Error::new_spanned(attr, "duplicate `#[message]`"));
        }
        found.get_or_insert_with(|| attr.clone());
        false
    });
    found
}

/// `#[message]` or `#[keel::message]`.
fn is_marker(attr: &Attribute) -> bool {
    let segments = &attr.path().segments;
    segments.last().is_some_and(|s| s.ident == "message")
        && (segments.len() == 1 || segments.first().is_some_and(|s| s.ident == "keel"))
}

fn attrs_named(attrs: &[Attribute], name: &str) -> Vec<Attribute> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident(name))
        .cloned()
        .collect()
}

/// `Some(Ok)` for `&mut Context<..>`, `Some(Err)` for a `&Context<..>`,
/// `None` for anything else.
fn context_arg(ty: &Type) -> Option<Result<()>> {
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

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

/// Rules 4 and 5: no borrow, no lifetime but `'static`, no `impl Trait`,
/// no `_`.
fn owned(ty: &Type, what: &str) -> Result<()> {
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
        // `fn(&str)` and `Fn(&mut T)`: their borrows are the function's own
        // (higher-ranked), not the message's.
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

/// The type with `Self` spelled as the actor's type, for use outside the
/// impl block (in the enum and the trait).
fn with_self(ty: &Type, self_ty: &Type) -> Type {
    struct Replace<'a>(&'a Type);
    impl VisitMut for Replace<'_> {
        // `Self::LEN` in `[u64; Self::LEN]`.
        fn visit_expr_path_mut(&mut self, e: &mut syn::ExprPath) {
            syn::visit_mut::visit_expr_path_mut(self, e);
            self.expr_path(e);
        }
        fn visit_type_mut(&mut self, ty: &mut Type) {
            syn::visit_mut::visit_type_mut(self, ty);
            let Type::Path(TypePath { qself: None, path }) = ty else {
                return;
            };
            if path.segments.first().is_none_or(|s| s.ident != "Self") {
                return;
            }
            if path.segments.len() == 1 {
                *ty = self.0.clone();
            } else {
                let rest: Vec<_> = path.segments.iter().skip(1).collect();
                let actor = self.0;
                *ty = syn::parse_quote!(<#actor>::#(#rest)::*);
            }
        }
    }
    impl Replace<'_> {
        fn expr_path(&self, e: &mut syn::ExprPath) {
            if e.qself.is_some() || e.path.segments.first().is_none_or(|s| s.ident != "Self") {
                return;
            }
            let rest: Vec<_> = e.path.segments.iter().skip(1).collect();
            let actor = self.0;
            *e = syn::parse_quote!(<#actor>::#(#rest)::*);
        }
    }
    let mut ty = ty.clone();
    Replace(self_ty).visit_type_mut(&mut ty);
    ty
}

/// `get_count` → `GetCount`, `r#type` → `Type`.
fn variant_name(method: &Ident) -> Ident {
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
    if out.is_empty() {
        out.push_str("Message");
    }
    Ident::new(&out, method.span())
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;
    use syn::parse_quote;

    use super::*;

    fn parse(item: ItemImpl) -> Result<Block> {
        let mut item = item;
        Block::parse(&mut item)
    }

    #[test]
    fn variant_names_are_upper_camel_case() {
        let name = |s: &str| variant_name(&syn::parse_str::<Ident>(s).unwrap()).to_string();
        assert_eq!(name("get_count"), "GetCount");
        assert_eq!(name("r#type"), "Type");
        assert_eq!(name("_hidden"), "Hidden");
        assert_eq!(name("add"), "Add");
    }

    #[test]
    fn tells_asks_context_and_self() {
        let block = parse(parse_quote! {
            impl Counter {
                #[message] fn add(&mut self, by: u64) {}
                #[message] fn get(&self) -> u64 { 0 }
                #[message] fn reset(&mut self, ctx: &mut Context<Self>) -> () {}
                #[message] async fn merge(&mut self, other: Vec<Self>) -> Self { todo!() }
                fn helper(&self) {}
            }
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(block.actor, "Counter");
        let shape: Vec<_> = block
            .messages
            .iter()
            .map(|m| {
                (
                    m.variant.to_string(),
                    m.args.len(),
                    m.reply.is_some(),
                    m.takes_ctx,
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("Add".into(), 1, false, false),
                ("Get".into(), 0, true, false),
                ("Reset".into(), 0, false, true),
                ("Merge".into(), 1, true, false),
            ]
        );
        let merge = &block.messages[3];
        assert!(merge.is_async);
        let arg = merge.args[0].1.to_token_stream().to_string();
        assert_eq!(arg, "Vec < Counter >");
        let reply = merge.reply.as_ref().unwrap().to_token_stream().to_string();
        assert_eq!(reply, "Counter");
    }

    #[test]
    fn every_mistake_in_one_block_is_reported() {
        let err = parse(parse_quote! {
            impl Counter {
                #[message] fn stop(&mut self) {}
                #[message] fn greet(&mut self, name: &str) {}
                #[message] async fn get(&self) -> u64 { 0 }
                #[message] fn f(&mut self, g: fn(&str) -> usize, h: Box<dyn Fn(&u8) + Send>) {}
            }
        })
        .err()
        .expect("three mistakes");
        let messages: Vec<_> = err.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 3, "{messages:#?}");
        assert!(messages[0].contains("cannot be named `stop`"));
        assert!(messages[1].contains("must be owned"));
        assert!(messages[2].contains("must take `&mut self`"));
    }

    #[test]
    fn markers_are_removed_even_on_error() {
        let mut item: ItemImpl = parse_quote! {
            impl Counter {
                #[message] fn clone(&self) -> u64 { 0 }
            }
        };
        assert!(Block::parse(&mut item).is_err());
        let ImplItem::Fn(f) = &item.items[0] else {
            unreachable!()
        };
        assert!(f.attrs.is_empty());
    }
}
