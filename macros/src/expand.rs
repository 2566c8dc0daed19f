//! Code generation. What comes out is what a hand-written actor would be:
//! an enum, a `match` in `handle`, and one `tell` or `ask` per ref method;
//! nothing is boxed and nothing is dispatched dynamically.
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, GenericParam, ItemImpl, Path};

use crate::ast::{Block, Message};
use crate::attr::{ActorAttrs, MessagesArgs};
use crate::fallback;

/// `#[derive(Actor)]`.
pub(crate) fn derive_actor(input: &DeriveInput) -> TokenStream {
    let (attrs, error) = ActorAttrs::parse(&input.attrs);
    let krate = private_path(attrs.krate.as_ref());
    if let Some(e) = error {
        return fallback::derive_actor(e, input, &krate);
    }
    let ident = &input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();

    let error = match &attrs.error {
        Some(ty) => quote!(#ty),
        None => quote!(#krate::Infallible),
    };
    let started = attrs.started.as_ref().map(|path| {
        quote_spanned! {hook_span(path)=>
            fn started(
                &mut self,
                ctx: &mut #krate::Context<Self>,
            ) -> impl #krate::Future<Output = #krate::Result<#krate::Start, <Self as #krate::Actor>::Error>> + #krate::Send {
                let hook = #path(self, ctx);
                async move { #krate::StartResult::<<Self as #krate::Actor>::Error>::into_start(hook.await) }
            }
        }
    });
    let stopped = attrs.stopped.as_ref().map(|path| {
        quote_spanned! {hook_span(path)=>
            fn stopped(
                &mut self,
                reason: &#krate::ExitReason,
                ctx: &mut #krate::Context<Self>,
            ) -> impl #krate::Future<Output = ()> + #krate::Send {
                #path(self, reason, ctx)
            }
        }
    });
    let on_exit = attrs.on_exit.as_ref().map(|path| {
        quote_spanned! {hook_span(path)=>
            fn on_exit(
                &mut self,
                from: #krate::AnyRef,
                reason: #krate::ExitReason,
                ctx: &mut #krate::Context<Self>,
            ) -> impl #krate::Future<Output = #krate::Result<(), <Self as #krate::Actor>::Error>> + #krate::Send {
                let hook = #path(self, from, reason, ctx);
                async move { #krate::HookResult::<<Self as #krate::Actor>::Error>::into_result(hook.await) }
            }
        }
    });
    let on_down = attrs.on_down.as_ref().map(|path| {
        quote_spanned! {hook_span(path)=>
            fn on_down(
                &mut self,
                monitor: #krate::MonitorRef,
                reason: #krate::ExitReason,
                ctx: &mut #krate::Context<Self>,
            ) -> impl #krate::Future<Output = #krate::Result<(), <Self as #krate::Actor>::Error>> + #krate::Send {
                let hook = #path(self, monitor, reason, ctx);
                async move { #krate::HookResult::<<Self as #krate::Actor>::Error>::into_result(hook.await) }
            }
        }
    });
    let config = config(&attrs, &krate);
    let actor_where = actor_where(input, &krate);

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

            #started
            #stopped
            #on_exit
            #on_down
            #config
        }
    }
}

/// The derived impl's `where`: the type's own bounds, and what an actor
/// needs, so that bounds written only on the messages block (`impl<T: Send
/// + 'static> Bag<T>`) are enough.
pub(crate) fn actor_where(input: &DeriveInput, krate: &TokenStream) -> TokenStream {
    let preds = input.generics.where_clause.as_ref().map(|w| &w.predicates);
    let comma = preds.filter(|p| !p.empty_or_trailing()).map(|_| quote!(,));
    quote!(where #preds #comma Self: #krate::Messages + #krate::Send + 'static)
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
    let block = match Block::parse(&mut item) {
        Ok(block) => block,
        Err(e) => return fallback::messages(e, Some(item), TokenStream::new(), &krate),
    };
    let Block { actor, messages } = &block;
    let item = &item;
    let self_ty = &item.self_ty;
    let msg_enum = format_ident!("{}Msg", actor);
    let ref_trait = format_ident!("{}Ref", actor);
    let (impl_generics, ty_generics, where_clause) = item.generics.split_for_impl();
    let generic_params = &item.generics.params;

    // Type parameters unused by every message still need a use in the enum.
    let type_params: Vec<_> = item
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(&t.ident),
            _ => None,
        })
        .collect();
    let phantom = (!type_params.is_empty()).then(|| {
        quote! {
            #[doc(hidden)]
            __Phantom(#krate::PhantomData<fn() -> (#(#type_params,)*)>, #krate::Infallible),
        }
    });
    let phantom_arm = phantom
        .as_ref()
        .map(|_| quote!(#msg_enum::__Phantom(_, never) => match never {},));
    let phantom_debug = phantom
        .as_ref()
        .map(|_| quote!(#msg_enum::__Phantom(_, never) => match *never {},));

    let variants = messages.iter().map(|m| variant(m, &krate));
    let arms = messages.iter().map(|m| dispatch_arm(m, &msg_enum));
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
        .map(|m| ref_method(m, &krate, &msg_enum, &ty_generics, None));
    let ref_impls = messages.iter().map(|m| {
        ref_method(
            m,
            &krate,
            &msg_enum,
            &ty_generics,
            Some(quote!(#krate::ActorRef)),
        )
    });
    let timed_impls = messages.iter().map(|m| {
        ref_method(
            m,
            &krate,
            &msg_enum,
            &ty_generics,
            Some(quote!(#krate::Timed)),
        )
    });

    let uninhabited = messages.is_empty() && phantom.is_none();
    let body = if uninhabited {
        quote!(match __keel_msg {})
    } else {
        quote! {
            match __keel_msg {
                #(#arms)*
                #phantom_arm
            }
            #krate::Result::Ok(())
        }
    };
    let debug_body = if uninhabited {
        quote!(match *self {})
    } else {
        quote! {
            match self {
                #(#debug_arms)*
                #phantom_debug
            }
        }
    };
    let enum_doc = format!(
        " The messages of `{actor}`, one variant per `#[message]` method (generated by \
         `#[keel::messages]`; its type is `<{actor} as Actor>::Msg`)."
    );
    let trait_doc = format!(
        " The messages of `{actor}` as methods of `ActorRef<{actor}>` and of its \
         `ask_timeout` view: `use` this trait to call them (generated by `#[keel::messages]`). \
         A message without a return value is a tell, one with a return value an ask."
    );
    let timed_lt = quote!('__keel_timed);
    let where_preds = item.generics.where_clause.as_ref().map(|w| &w.predicates);
    // The ref impls are for any actor with this message type, so that a
    // missing derive is one error (the check below), not one per impl.
    let actor_is = quote!(__KeelA: #krate::Actor<Msg = #msg_enum #ty_generics>);
    // A second block for the same actor redefines this first.
    let one_block = format_ident!("__keel_one_messages_block_per_actor_{}", actor);

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
                #debug_body
            }
        }

        #[automatically_derived]
        impl #impl_generics #krate::Messages for #self_ty #where_clause {
            type Msg = #msg_enum #ty_generics;

            #[inline]
            #[allow(unused_variables, deprecated)]
            fn dispatch<E>(
                &mut self,
                __keel_msg: <Self as #krate::Messages>::Msg,
                __keel_ctx: &mut #krate::Context<Self>,
            ) -> impl #krate::Future<Output = #krate::Result<(), E>> + #krate::Send
            where
                Self: #krate::Actor<Msg = <Self as #krate::Messages>::Msg>,
            {
                async move { #body }
            }
        }

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
        impl <#timed_lt, __KeelA, #generic_params> #ref_trait #ty_generics
            for #krate::Timed<#timed_lt, __KeelA>
        where
            #actor_is,
            #where_preds
        {
            #(#timed_impls)*
        }
    }
}

/// `Add(u64)`, `Get(ReplyTo<u64>)`.
fn variant(m: &Message, krate: &TokenStream) -> TokenStream {
    let Message {
        method,
        variant,
        args,
        reply,
        docs,
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
        #(#docs)* #default_doc #(#cfgs)*
        #variant #fields,
    }
}

/// `(fields)`, or nothing for a tell without arguments (a unit variant).
fn parens(m: &Message, fields: TokenStream) -> Option<TokenStream> {
    (!m.args.is_empty() || m.reply.is_some()).then(|| quote!((#fields)))
}

/// `CounterMsg::Add(by) => { Self::add(self, by); }`.
fn dispatch_arm(m: &Message, msg_enum: &syn::Ident) -> TokenStream {
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
            #(#cfgs)* #msg_enum::#variant #fields => { #call; }
        },
        Some(_) => quote! {
            #(#cfgs)* #msg_enum::#variant(#(#names,)* __keel_reply) => {
                __keel_reply.reply(#call);
            }
        },
    }
}

/// One method of the ref trait: its declaration (`on` is `None`), or its
/// body for `ActorRef` or `Timed`.
fn ref_method(
    m: &Message,
    krate: &TokenStream,
    msg_enum: &syn::Ident,
    ty_generics: &syn::TypeGenerics<'_>,
    on: Option<TokenStream>,
) -> TokenStream {
    let Message {
        method,
        variant,
        args,
        reply,
        docs,
        deprecated,
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
            #(#docs)* #default_doc #(#deprecated)* #(#cfgs)*
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
        #(#cfgs)*
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
