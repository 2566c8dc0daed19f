//! What stands in for the generated code when the input has errors: the
//! errors, the user's item, and just enough of the generated code that the
//! rest of the crate does not pile more errors on top (thiserror's
//! approach).
use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Error, GenericParam, ItemImpl, Type};

/// `#[derive(Actor)]` with bad attributes: the errors and a default
/// `impl Actor`.
pub(crate) fn derive_actor(error: Error, input: &DeriveInput, krate: &TokenStream) -> TokenStream {
    let errors = error.to_compile_error();
    let actor_impl = crate::expand::actor_impl(
        input,
        krate,
        &quote!(#krate::Infallible),
        TokenStream::new(),
    );
    quote!(#errors #actor_impl)
}

/// `#[derive(Supervisor)]` on what is not a plain struct with named fields:
/// the errors, and the generated items over no children (the `From` impl,
/// `supervise`, a refs struct with only the supervisor's ref), so that code
/// using them reports nothing more.
pub(crate) fn derive_supervisor(
    error: Error,
    input: &DeriveInput,
    krate: &TokenStream,
) -> TokenStream {
    let errors = error.to_compile_error();
    let tree = crate::supervisor::Tree {
        flags: Default::default(),
        children: Vec::new(),
    };
    let stub = crate::supervisor::expand::generate(input, &tree, krate);
    quote!(#errors #stub)
}

/// `#[keel::messages]` with errors: the errors, the block (markers removed
/// when it parsed), and an empty message type so that a derive does not
/// also report the block missing.
pub(crate) fn messages(
    error: Error,
    item: Option<ItemImpl>,
    raw: TokenStream,
    krate: &TokenStream,
) -> TokenStream {
    let errors = error.to_compile_error();
    let Some(item) = item.or_else(|| syn::parse2::<ItemImpl>(raw.clone()).ok()) else {
        return quote!(#errors #raw);
    };
    let item = strip_markers(item);
    let stub_fits = matches!(&*item.self_ty, Type::Path(_))
        && !item
            .generics
            .params
            .iter()
            .any(|p| matches!(p, GenericParam::Lifetime(_)));
    if !stub_fits {
        return quote!(#errors #item);
    }
    let stub = crate::expand::messages_impl(
        &item,
        krate,
        &quote!(#krate::Infallible),
        quote!(match __keel_msg {}),
    );
    quote!(#errors #item #stub)
}

/// `#[message]` outside a messages block: an error on the item, which is
/// kept as written.
pub(crate) fn stray_message(args: TokenStream, item: TokenStream) -> TokenStream {
    let error = match syn::parse2::<syn::ItemFn>(item.clone()) {
        _ if !args.is_empty() => Error::new_spanned(&args, ""),
        Ok(f) => Error::new(f.sig.ident.span(), ""),
        Err(_) => Error::new_spanned(&item, ""),
    };
    let error = Error::new(
        error.span(),
        "`#[message]` only works inside a `#[keel::messages]` impl block: put \
         `#[keel::messages]` on the `impl` that holds this method",
    )
    .to_compile_error();
    quote!(#error #item)
}

fn strip_markers(mut item: ItemImpl) -> ItemImpl {
    for impl_item in &mut item.items {
        if let syn::ImplItem::Fn(f) = impl_item {
            f.attrs.retain(|a| !crate::ast::is_marker(a));
        }
    }
    item
}
