//! A `#[keel::messages]` block read into a model: the actor's name and one
//! [`Message`] per `#[message]` method, checked against the rules in
//! [`crate::valid`] (the receiver and signature rules are checked here, as
//! the method is read).
use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{
    Attribute, Error, FnArg, Generics, Ident, ImplItem, ImplItemFn, ItemImpl, Pat, Result,
    ReturnType, Type, TypePath,
};

use crate::attr::Errors;
use crate::valid;

/// A `#[keel::messages]` block.
pub(crate) struct Block {
    /// The actor's type name (`Counter` for `impl<T> Counter<T>`).
    pub(crate) actor: Ident,
    /// The messages that passed every check (the others are errors).
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
    /// The method's `#[allow]`s (and `#[expect]`s, as `allow`), repeated on
    /// its variant and ref method, which a lint such as
    /// `clippy::too_many_arguments` would flag as it flags the method.
    pub(crate) allows: Vec<Attribute>,
    /// `#[cfg]` attributes of the method, repeated on everything generated
    /// for it.
    pub(crate) cfgs: Vec<Attribute>,
}

impl Block {
    /// Reads and checks the block, removing the `#[message]` markers from
    /// it. Returns the block with the messages that passed (none if the
    /// header itself is wrong), and every error found, so that one bad
    /// message does not take the others' generated code with it.
    pub(crate) fn parse(item: &mut ItemImpl) -> (Option<Block>, Option<Error>) {
        let mut errors = Errors::default();
        let actor = match valid::check_header(item) {
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
        let messages = valid::check_variants(messages, &mut errors);
        let block = actor.map(|actor| Block { actor, messages });
        (block, errors.into_error())
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
        if let Err(e) = valid::check_name(&sig.ident) {
            errors.push(e);
        }
        let variant = match valid::variant_name(&sig.ident) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(e);
                None
            }
        };

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
            match valid::context_arg(&arg.ty) {
                Some(Ok(())) if i + 1 == rest.len() => takes_ctx = true,
                Some(Ok(())) => errors.push(Error::new_spanned(
                    &arg.ty,
                    "`ctx: &mut Context<Self>` must be a message's last argument",
                )),
                Some(Err(e)) => errors.push(e),
                None => match valid::owned(&arg.ty, "a message argument") {
                    Ok(()) => args.push((name, with_self(&arg.ty, self_ty))),
                    Err(e) => errors.push(e),
                },
            }
        }

        let reply = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) if is_unit(ty) => None,
            ReturnType::Type(_, ty) => match valid::owned(ty, "a message's return type") {
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
            variant: variant.expect("a bad variant name is an error"),
            is_async: sig.asyncness.is_some(),
            args,
            takes_ctx,
            reply,
            docs: attrs_named(&method.attrs, "doc"),
            deprecated: attrs_named(&method.attrs, "deprecated"),
            allows: allows(&method.attrs),
            cfgs: attrs_named(&method.attrs, "cfg"),
        })
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

/// `#[message]`, `#[keel::message]`, or the marker through a renamed keel
/// (`#[k::message]`).
pub(crate) fn is_marker(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "message")
}

/// The method's `#[allow(..)]`s, and its `#[expect(..)]`s turned into
/// `allow` (an expectation copied onto generated code could go unmet).
fn allows(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .filter_map(|a| {
            let list = a.meta.require_list().ok()?;
            if a.path().is_ident("allow") {
                Some(a.clone())
            } else if a.path().is_ident("expect") {
                let tokens = &list.tokens;
                Some(syn::parse_quote!(#[allow(#tokens)]))
            } else {
                None
            }
        })
        .collect()
}

fn attrs_named(attrs: &[Attribute], name: &str) -> Vec<Attribute> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident(name))
        .cloned()
        .collect()
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

/// Spells `Self` as the actor's type in what it visits, for code generated
/// outside the impl block (the enum, the trait): a type `Self` becomes the
/// actor's type, a path `Self::X` (in a type, or an array length) becomes
/// `<Actor>::X`.
struct SpellSelf<'a>(&'a Type);

impl SpellSelf<'_> {
    /// `<Actor>::X` for a path `Self::X`.
    fn qualified(&self, path: &syn::Path) -> Option<TokenStream> {
        let first = path.segments.first()?;
        if path.leading_colon.is_some() || first.ident != "Self" || path.segments.len() < 2 {
            return None;
        }
        let rest = path.segments.iter().skip(1);
        let actor = self.0;
        Some(quote!(<#actor>::#(#rest)::*))
    }
}

impl VisitMut for SpellSelf<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        syn::visit_mut::visit_type_mut(self, ty);
        let Type::Path(TypePath { qself: None, path }) = ty else {
            return;
        };
        if path.is_ident("Self") {
            *ty = self.0.clone();
        } else if let Some(q) = self.qualified(path) {
            *ty = syn::parse_quote!(#q);
        }
    }

    fn visit_expr_path_mut(&mut self, e: &mut syn::ExprPath) {
        syn::visit_mut::visit_expr_path_mut(self, e);
        if e.qself.is_none() {
            if let Some(q) = self.qualified(&e.path) {
                *e = syn::parse_quote!(#q);
            }
        }
    }
}

/// The type with `Self` spelled out ([`SpellSelf`]).
fn with_self(ty: &Type, self_ty: &Type) -> Type {
    let mut ty = ty.clone();
    SpellSelf(self_ty).visit_type_mut(&mut ty);
    ty
}

/// The block's generics with `Self` spelled out, for the items generated
/// outside the block (the enum, the trait, the ref impls).
pub(crate) fn generics_with_self(generics: &Generics, self_ty: &Type) -> Generics {
    let mut generics = generics.clone();
    SpellSelf(self_ty).visit_generics_mut(&mut generics);
    generics
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;
    use syn::parse_quote;

    use super::*;

    fn parse(item: ItemImpl) -> Result<Block> {
        let mut item = item;
        match Block::parse(&mut item) {
            (Some(block), None) => Ok(block),
            (_, Some(e)) => Err(e),
            (None, None) => unreachable!("no block without an error"),
        }
    }

    #[test]
    fn variant_names_are_upper_camel_case() {
        let name = |s: &str| {
            let ident = syn::parse_str::<Ident>(s).unwrap();
            valid::variant_name(&ident).map(|v| v.to_string()).ok()
        };
        assert_eq!(name("get_count").as_deref(), Some("GetCount"));
        assert_eq!(name("r#type").as_deref(), Some("Type"));
        assert_eq!(name("_hidden").as_deref(), Some("Hidden"));
        assert_eq!(name("add").as_deref(), Some("Add"));
        assert_eq!(name("_1st"), None);
        assert_eq!(name("self_"), None);
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
        assert!(Block::parse(&mut item).1.is_some());
        let ImplItem::Fn(f) = &item.items[0] else {
            unreachable!()
        };
        assert!(f.attrs.is_empty());
    }
}
