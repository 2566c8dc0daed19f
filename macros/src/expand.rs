//! Code generation. What comes out is what a hand-written actor would be:
//! an enum, a `match` in `handle`, and one `tell` or `ask` per ref method;
//! nothing is boxed and nothing is dispatched dynamically.
use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{DeriveInput, Generics, Ident, ItemImpl, Path};

use crate::ast::{generics_with_self, Block, Message};
use crate::attr::{ActorAttrs, MessagesArgs};
use crate::fallback;

/// `#[derive(Actor)]`.
pub(crate) fn derive_actor(input: &DeriveInput) -> TokenStream {
    let (attrs, error) = ActorAttrs::parse(&input.attrs);
    let krate = private_path(attrs.krate.as_ref());
    if let Some(e) = error {
        return fallback::derive_actor(e, input, &krate);
    }
    let error = match &attrs.error {
        Some(ty) => quote!(#ty),
        None => quote!(#krate::Infallible),
    };
    let started = attrs.started.as_ref().map(|path| {
        quote_spanned! {hook_span(path)=>
            fn started(
                &mut self,
                __keel_ctx: &mut #krate::Context<Self>,
            ) -> impl #krate::Future<Output = #krate::Result<#krate::Start, <Self as #krate::Actor>::Error>> + #krate::Send {
                let __keel_hook = #path(self, __keel_ctx);
                async move { #krate::StartResult::<<Self as #krate::Actor>::Error>::into_start(__keel_hook.await) }
            }
        }
    });
    let stopped = attrs.stopped.as_ref().map(|path| {
        quote_spanned! {hook_span(path)=>
            fn stopped(
                &mut self,
                __keel_reason: &#krate::ExitReason,
                __keel_ctx: &mut #krate::Context<Self>,
            ) -> impl #krate::Future<Output = ()> + #krate::Send {
                #path(self, __keel_reason, __keel_ctx)
            }
        }
    });
    let on_exit = attrs
        .on_exit
        .as_ref()
        .map(|path| signal_hook(path, &krate, quote!(on_exit), quote!(#krate::AnyRef)));
    let on_down = attrs
        .on_down
        .as_ref()
        .map(|path| signal_hook(path, &krate, quote!(on_down), quote!(#krate::MonitorRef)));
    let config = config(&attrs, &krate);
    actor_impl(
        input,
        &krate,
        &error,
        quote!(#started #stopped #on_exit #on_down #config),
    )
}

/// `impl Actor`: the message type and `handle` from the messages block,
/// the error type, and `rest` (hooks and `config`, none in the fallback).
pub(crate) fn actor_impl(
    input: &DeriveInput,
    krate: &TokenStream,
    error: &TokenStream,
    rest: TokenStream,
) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let actor_where = actor_where(input, krate);
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Actor for #ident #ty_generics #actor_where {
            type Msg = <Self as #krate::Messages>::Msg;
            type Error = #error;

            #[inline]
            fn handle(
                &mut self,
                msg: <Self as #krate::Actor>::Msg,
                ctx: &mut #krate::Context<Self>,
            ) -> impl #krate::Future<Output = #krate::Result<(), <Self as #krate::Actor>::Error>> + #krate::Send {
                <Self as #krate::Messages>::dispatch(self, msg, ctx)
            }

            #rest
        }
    }
}

/// The derived impl's `where`: the type's own bounds, and what an actor
/// needs, so that bounds written only on the messages block (`impl<T: Send
/// + 'static> Bag<T>`) are enough.
fn actor_where(input: &DeriveInput, krate: &TokenStream) -> TokenStream {
    let preds = input.generics.where_clause.as_ref().map(|w| &w.predicates);
    let comma = preds.filter(|p| !p.empty_or_trailing()).map(|_| quote!(,));
    quote!(where #preds #comma Self: #krate::Messages + #krate::Send + 'static)
}

/// `on_exit` or `on_down`: the same shape, a handle of type `first` (who
/// exited, or which monitor) and the reason.
fn signal_hook(
    path: &Path,
    krate: &TokenStream,
    name: TokenStream,
    first: TokenStream,
) -> TokenStream {
    quote_spanned! {hook_span(path)=>
        fn #name(
            &mut self,
            __keel_first: #first,
            __keel_reason: #krate::ExitReason,
            __keel_ctx: &mut #krate::Context<Self>,
        ) -> impl #krate::Future<Output = #krate::Result<(), <Self as #krate::Actor>::Error>> + #krate::Send {
            let __keel_hook = #path(self, __keel_first, __keel_reason, __keel_ctx);
            async move { #krate::HookResult::<<Self as #krate::Actor>::Error>::into_result(__keel_hook.await) }
        }
    }
}

/// `fn config()` when an attribute sets something.
fn config(attrs: &ActorAttrs, krate: &TokenStream) -> Option<TokenStream> {
    let mut calls = Vec::new();
    if let Some((_, n)) = attrs.bounded {
        let overflow = attrs
            .overflow
            .as_ref()
            .map(|p| quote!(.overflow(#krate::Overflow::#p)));
        calls.push(quote!(.mailbox(#krate::MailboxConfig::bounded(#n) #overflow)));
    }
    if attrs.unbounded.is_some() {
        calls.push(quote!(.mailbox(#krate::MailboxConfig::unbounded())));
    }
    if let Some(name) = &attrs.dispatcher {
        calls.push(quote!(.dispatcher(#name)));
    }
    if attrs.blocking.is_some() {
        calls.push(quote!(.blocking(true)));
    }
    if let Some(name) = &attrs.name {
        calls.push(quote!(.name(#name)));
    }
    if calls.is_empty() {
        return None;
    }
    Some(quote! {
        fn config() -> #krate::ActorConfig {
            #krate::ActorConfig::new() #(#calls)*
        }
    })
}

/// `#[keel::messages]`.
pub(crate) fn messages(args: MessagesArgs, mut item: ItemImpl) -> TokenStream {
    let krate = private_path(args.krate.as_ref());
    let (block, error) = Block::parse(&mut item);
    let Some(block) = block else {
        let error = error.expect("no block without an error");
        return fallback::messages(error, Some(item), TokenStream::new(), &krate);
    };
    // The messages that passed are generated even when others did not, so
    // that each mistake is its own error.
    let errors = error.map(|e| e.to_compile_error());
    let generated = generate(&block, &item, &krate);
    quote!(#errors #generated)
}

/// The enum, its `Debug`, the dispatch, the ref trait and its two impls.
fn generate(block: &Block, item: &ItemImpl, krate: &TokenStream) -> TokenStream {
    let Block { actor, messages } = block;
    let self_ty = &item.self_ty;
    let msg_enum = format_ident!("{}Msg", actor);
    let ref_trait = format_ident!("{}Ref", actor);
    // Outside the block `Self` is not the actor: spell it out.
    let outside = generics_with_self(&item.generics, self_ty);
    let (impl_generics, ty_generics, where_clause) = outside.split_for_impl();
    let generic_params = &outside.params;
    let where_preds = outside.where_clause.as_ref().map(|w| &w.predicates);

    let phantom_params = phantom_params(&outside, messages);
    let phantom = (!phantom_params.is_empty()).then(|| {
        quote! {
            #[doc(hidden)]
            __Phantom(#krate::PhantomData<fn() -> (#(#phantom_params,)*)>, #krate::Infallible),
        }
    });
    let phantom_arm = phantom
        .as_ref()
        .map(|_| quote!(#msg_enum::__Phantom(_, never) => match never {},));
    let phantom_debug = phantom
        .as_ref()
        .map(|_| quote!(#msg_enum::__Phantom(_, ref never) => match *never {},));

    let variants = messages.iter().map(|m| variant(m, krate));
    let arms = messages.iter().map(|m| dispatch_arm(m, &msg_enum, krate));
    let debug_arms = messages.iter().map(|m| {
        let Message { variant, cfgs, .. } = m;
        let rest = parens(m, quote!(..));
        let text = format!(
            "{msg_enum}::{variant}{}",
            if rest.is_some() { "(..)" } else { "" }
        );
        quote!(#(#cfgs)* #msg_enum::#variant #rest => f.write_str(#text),)
    });
    let trait_methods = messages
        .iter()
        .map(|m| ref_method(m, krate, &msg_enum, &ty_generics, None));
    let on_ref = quote!(#krate::ActorRef);
    let ref_impls = messages
        .iter()
        .map(|m| ref_method(m, krate, &msg_enum, &ty_generics, Some(&on_ref)));
    let on_timed = quote!(#krate::Timed);
    let timed_impls = messages
        .iter()
        .map(|m| ref_method(m, krate, &msg_enum, &ty_generics, Some(&on_timed)));

    let enum_doc = format!(
        " The messages of `{actor}`, one variant per `#[message]` method (generated by \
         `#[keel::messages]`; its type is `<{actor} as Actor>::Msg`)."
    );
    let trait_doc = format!(
        " The messages of `{actor}` as methods of `ActorRef<{actor}>` and of its \
         `ask_timeout` view: `use` this trait to call them (generated by `#[keel::messages]`). \
         A message without a return value is a tell, one with a return value an ask."
    );
    // The ref impls are for any actor with this message type, so that a
    // missing derive is one error (the dispatch's bound), not one per impl.
    let actor_is = quote!(__KeelA: #krate::Actor<Msg = #msg_enum #ty_generics>);
    // A second block for the same actor redefines this first.
    let one_block = format_ident!("__keel_one_messages_block_per_actor_{}", actor);

    let messages_impl = messages_impl(
        item,
        krate,
        &quote!(#msg_enum #ty_generics),
        quote! {
            match __keel_msg {
                #(#arms)*
                #phantom_arm
            }
        },
    );

    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code)]
        const #one_block: () = ();

        #item

        #[doc = #enum_doc]
        #[allow(dead_code, private_interfaces, unreachable_pub)]
        pub enum #msg_enum <#generic_params> #where_clause {
            #(#variants)*
            #phantom
        }

        #[automatically_derived]
        impl #impl_generics #krate::fmt::Debug for #msg_enum #ty_generics #where_clause {
            #[allow(unused_variables)]
            fn fmt(&self, f: &mut #krate::fmt::Formatter<'_>) -> #krate::fmt::Result {
                match *self {
                    #(#debug_arms)*
                    #phantom_debug
                }
            }
        }

        #messages_impl

        #[doc = #trait_doc]
        #[allow(dead_code, private_interfaces, private_bounds, unreachable_pub)]
        pub trait #ref_trait <#generic_params> #where_clause {
            #(#trait_methods)*
        }

        #[automatically_derived]
        impl <__KeelA, #generic_params> #ref_trait #ty_generics for #krate::ActorRef<__KeelA>
        where
            #actor_is,
            #where_preds
        {
            #(#ref_impls)*
        }

        #[automatically_derived]
        impl <'__keel_timed, __KeelA, #generic_params> #ref_trait #ty_generics
            for #krate::Timed<'__keel_timed, __KeelA>
        where
            #actor_is,
            #where_preds
        {
            #(#timed_impls)*
        }
    }
}

/// `impl Messages` for the block's actor: the message type, and the
/// dispatch, whose body `dispatch` matches `__keel_msg` (with
/// `__keel_ctx` at hand). The fallback writes one too, over no messages.
pub(crate) fn messages_impl(
    item: &ItemImpl,
    krate: &TokenStream,
    msg_ty: &TokenStream,
    dispatch: TokenStream,
) -> TokenStream {
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Messages for #self_ty #where_clause {
            type Msg = #msg_ty;

            #[inline]
            #[allow(unused_variables, deprecated)]
            fn dispatch<__KeelE>(
                &mut self,
                __keel_msg: <Self as #krate::Messages>::Msg,
                __keel_ctx: &mut #krate::Context<Self>,
            ) -> impl #krate::Future<Output = #krate::Result<(), __KeelE>> + #krate::Send
            where
                Self: #krate::Actor<Msg = <Self as #krate::Messages>::Msg>,
            {
                async move { #dispatch }
            }
        }
    }
}

/// The type parameters the enum must mention in a hidden variant because
/// no message does (a hand-written enum would not compile without them
/// either). A message under `#[cfg]` may vanish, so its types do not count.
fn phantom_params<'a>(generics: &'a Generics, messages: &[Message]) -> Vec<&'a Ident> {
    #[derive(Default)]
    struct Names(HashSet<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_ident(&mut self, ident: &'ast Ident) {
            self.0.insert(ident.to_string());
        }
    }
    let mut used = Names::default();
    for m in messages.iter().filter(|m| m.cfgs.is_empty()) {
        for (_, ty) in &m.args {
            used.visit_type(ty);
        }
        if let Some(ty) = &m.reply {
            used.visit_type(ty);
        }
    }
    generics
        .type_params()
        .map(|t| &t.ident)
        .filter(|ident| !used.0.contains(&ident.to_string()))
        .collect()
}

/// `Add(u64)`, `Get(ReplyTo<u64>)`.
fn variant(m: &Message, krate: &TokenStream) -> TokenStream {
    let Message {
        method,
        variant,
        args,
        reply,
        docs,
        allows,
        cfgs,
        ..
    } = m;
    let tys = args.iter().map(|(_, ty)| ty);
    let reply = reply.as_ref().map(|ty| quote!(#krate::ReplyTo<#ty>,));
    let default_doc = (docs.is_empty()).then(|| {
        let what = if m.reply.is_some() {
            "an ask"
        } else {
            "a tell"
        };
        let text = format!(" The message `{method}` ({what}).");
        quote!(#[doc = #text])
    });
    let fields = parens(m, quote!(#(#tys,)* #reply));
    quote! {
        #(#docs)* #default_doc #(#allows)* #(#cfgs)*
        #variant #fields,
    }
}

/// `(fields)`, or nothing for a tell without arguments (a unit variant).
fn parens(m: &Message, fields: TokenStream) -> Option<TokenStream> {
    (!m.args.is_empty() || m.reply.is_some()).then(|| quote!((#fields)))
}

/// `CounterMsg::Add(by) => { Self::add(self, by); }`.
fn dispatch_arm(m: &Message, msg_enum: &Ident, krate: &TokenStream) -> TokenStream {
    let Message {
        method,
        variant,
        is_async,
        args,
        takes_ctx,
        reply,
        cfgs,
        ..
    } = m;
    let names: Vec<_> = args.iter().map(|(name, _)| name).collect();
    let ctx = takes_ctx.then(|| quote!(__keel_ctx));
    let call_args = names.iter().map(|n| quote!(#n)).chain(ctx);
    let call = quote!(Self::#method(self, #(#call_args),*));
    let call = if *is_async { quote!(#call.await) } else { call };
    let fields = parens(m, quote!(#(#names,)*));
    match reply {
        None => quote! {
            #(#cfgs)* #msg_enum::#variant #fields => {
                #call;
                #krate::Result::Ok(())
            }
        },
        Some(_) => quote! {
            #(#cfgs)* #msg_enum::#variant(#(#names,)* __keel_reply) => {
                __keel_reply.reply(#call);
                #krate::Result::Ok(())
            }
        },
    }
}

/// One method of the ref trait: its declaration (`on` is `None`), or its
/// body for `ActorRef` or `Timed`.
fn ref_method(
    m: &Message,
    krate: &TokenStream,
    msg_enum: &Ident,
    ty_generics: &syn::TypeGenerics<'_>,
    on: Option<&TokenStream>,
) -> TokenStream {
    let Message {
        method,
        variant,
        args,
        reply,
        docs,
        deprecated,
        allows,
        cfgs,
        ..
    } = m;
    let params = args.iter().map(|(name, ty)| quote!(#name: #ty));
    let names: Vec<_> = args.iter().map(|(name, _)| name).collect();
    let output = match reply {
        None => quote!(#krate::Result<(), #krate::TellError<#msg_enum #ty_generics>>),
        Some(ty) => quote!(#krate::AskFuture<#ty>),
    };
    let Some(on) = on else {
        let default_doc = docs.is_empty().then(|| {
            let text = match reply {
                None => format!(
                    " Tells `{method}`: queues the message and returns at once (`Err` hands \
                     it back if the mailbox is closed or full)."
                ),
                Some(_) => format!(" Asks `{method}`: await the reply."),
            };
            quote!(#[doc = #text])
        });
        return quote! {
            #(#docs)* #default_doc #(#deprecated)* #(#allows)* #(#cfgs)*
            fn #method(&self, #(#params),*) -> #output;
        };
    };
    let body = match reply {
        None => {
            let fields = parens(m, quote!(#(#names),*));
            quote!(#on::tell(self, #msg_enum::#variant #fields))
        }
        Some(_) => quote! {
            #on::ask(self, move |__keel_reply| #msg_enum::#variant(#(#names,)* __keel_reply))
        },
    };
    quote! {
        #(#allows)* #(#cfgs)*
        #[inline]
        fn #method(&self, #(#params),*) -> #output {
            #body
        }
    }
}

/// Where a hook's errors point: its name, the last segment of its path.
fn hook_span(path: &Path) -> proc_macro2::Span {
    path.segments
        .last()
        .map_or_else(|| path.span(), |s| s.ident.span())
}

/// `::keel::__private`, or `<crate = "...">::__private`.
pub(crate) fn private_path(krate: Option<&Path>) -> TokenStream {
    match krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::keel::__private),
    }
}
