//! Attribute parsing: `#[actor(...)]` on a derive, and the arguments of
//! `#[keel::messages(...)]`.
//!
//! Every key may appear once; unknown keys, duplicates and conflicting keys
//! are errors spanned on the key.
use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Attribute, Error, Ident, LitInt, LitStr, Path, Result, Type};

/// The keys `#[actor(...)]` accepts, for the unknown-key message.
const ACTOR_KEYS: &str = "name, bounded, overflow, unbounded, dispatcher, blocking, error, \
                          started, stopped, on_exit, on_down, crate";

/// What `#[actor(...)]` attributes say, merged.
#[derive(Default)]
pub(crate) struct ActorAttrs {
    pub(crate) krate: Option<Path>,
    pub(crate) name: Option<LitStr>,
    pub(crate) bounded: Option<(Span, usize)>,
    pub(crate) overflow: Option<Ident>,
    pub(crate) unbounded: Option<Span>,
    pub(crate) dispatcher: Option<LitStr>,
    pub(crate) blocking: Option<Span>,
    pub(crate) error: Option<Type>,
    pub(crate) started: Option<Path>,
    pub(crate) stopped: Option<Path>,
    pub(crate) on_exit: Option<Path>,
    pub(crate) on_down: Option<Path>,
}

/// The arguments of `#[keel::messages(...)]`.
#[derive(Default)]
pub(crate) struct MessagesArgs {
    pub(crate) krate: Option<Path>,
}

impl ActorAttrs {
    /// Reads every `#[actor(...)]` among `attrs`, collecting all errors;
    /// what parsed is returned either way (the fallback needs `crate`).
    pub(crate) fn parse(attrs: &[Attribute]) -> (ActorAttrs, Option<Error>) {
        let mut out = ActorAttrs::default();
        let mut errors = Errors::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("actor")) {
            each_key(attr, &mut errors, |meta| out.key(meta));
        }
        if errors.is_empty() {
            out.check_conflicts(&mut errors);
        }
        (out, errors.into_error())
    }

    fn key(&mut self, meta: &ParseNestedMeta<'_>) -> Result<()> {
        let Some(key) = meta.path.get_ident() else {
            skip_value(meta)?;
            return Err(meta.error(format!("expected one of: {ACTOR_KEYS}")));
        };
        let span = key.span();
        match key.to_string().as_str() {
            "crate" => set(&mut self.krate, key, parse_path(meta)?),
            "name" => set(&mut self.name, key, non_empty(meta.value()?.parse()?)?),
            "dispatcher" => set(
                &mut self.dispatcher,
                key,
                non_empty(meta.value()?.parse()?)?,
            ),
            "error" => set(&mut self.error, key, meta.value()?.parse()?),
            "bounded" => {
                let lit: LitInt = meta.value()?.parse()?;
                let n: usize = lit.base10_parse()?;
                if n == 0 {
                    return Err(Error::new(
                        lit.span(),
                        "a bounded mailbox holds at least 1 message",
                    ));
                }
                set(&mut self.bounded, key, (span, n))
            }
            "overflow" => {
                let policy: Ident = meta.value()?.parse()?;
                if policy != "FailFast" && policy != "DropNewest" {
                    return Err(Error::new(
                        policy.span(),
                        "expected `FailFast` or `DropNewest`",
                    ));
                }
                set(&mut self.overflow, key, policy)
            }
            "unbounded" => set(&mut self.unbounded, key, flag(meta, span)?),
            "blocking" => set(&mut self.blocking, key, flag(meta, span)?),
            "started" => set(&mut self.started, key, meta.value()?.parse()?),
            "stopped" => set(&mut self.stopped, key, meta.value()?.parse()?),
            "on_exit" => set(&mut self.on_exit, key, meta.value()?.parse()?),
            "on_down" => set(&mut self.on_down, key, meta.value()?.parse()?),
            other => {
                skip_value(meta)?;
                Err(Error::new(
                    span,
                    format!("unknown `actor` attribute `{other}`; expected one of: {ACTOR_KEYS}"),
                ))
            }
        }
    }

    fn check_conflicts(&self, errors: &mut Errors) {
        if let (Some((span, _)), Some(_)) = (self.bounded, self.unbounded) {
            errors.push(Error::new(
                span,
                "`bounded` and `unbounded` conflict: pick one mailbox",
            ));
        }
        if let (Some(policy), None) = (&self.overflow, self.bounded) {
            errors.push(Error::new(
                policy.span(),
                "`overflow` needs `bounded = N`: an unbounded mailbox never overflows",
            ));
        }
        if let (Some(span), Some(_)) = (self.blocking, &self.dispatcher) {
            errors.push(Error::new(
                span,
                "`blocking` and `dispatcher` conflict: a blocking actor runs on the blocking \
                 dispatcher",
            ));
        }
    }
}

impl MessagesArgs {
    /// Parses `crate = "path"` (the only argument).
    pub(crate) fn parse(args: TokenStream) -> Result<MessagesArgs> {
        let mut out = MessagesArgs::default();
        let parser = syn::meta::parser(|meta| match meta.path.get_ident() {
            Some(key) if key == "crate" => {
                let key = key.clone();
                set(&mut out.krate, &key, parse_path(&meta)?)
            }
            _ => Err(meta.error("unknown `messages` argument; expected `crate = \"path\"`")),
        });
        parser.parse2(args)?;
        Ok(out)
    }
}

/// Several errors reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub(crate) fn into_error(self) -> Option<Error> {
        self.0
    }

    pub(crate) fn finish<T>(self, ok: T) -> Result<T> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(ok),
        }
    }
}

/// Reads each `key` or `key = value` of `#[attr(...)]` with `f`, keeping
/// every error (one per bad key) and going on to the next key.
pub(crate) fn each_key(
    attr: &Attribute,
    errors: &mut Errors,
    mut f: impl FnMut(&ParseNestedMeta) -> Result<()>,
) {
    let res = attr.parse_nested_meta(|meta| {
        if let Err(e) = f(&meta) {
            errors.push(e);
        }
        Ok(())
    });
    if let Err(e) = res {
        errors.push(e);
    }
}

pub(crate) fn set<T>(slot: &mut Option<T>, key: &Ident, value: T) -> Result<()> {
    if slot.is_some() {
        return Err(Error::new(key.span(), format!("duplicate `{key}`")));
    }
    *slot = Some(value);
    Ok(())
}

pub(crate) fn flag(meta: &ParseNestedMeta<'_>, span: Span) -> Result<Span> {
    if meta.input.is_empty() || meta.input.peek(syn::Token![,]) {
        Ok(span)
    } else {
        skip_value(meta)?;
        Err(meta.error("this attribute takes no value: write it alone"))
    }
}

/// Consumes what follows a key that is rejected (`= value` or `(...)`), so
/// that the rejection is the only error.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

pub(crate) fn parse_path(meta: &ParseNestedMeta<'_>) -> Result<Path> {
    let lit: LitStr = meta.value()?.parse()?;
    lit.parse()
}

fn non_empty(lit: LitStr) -> Result<LitStr> {
    if lit.value().is_empty() {
        Err(Error::new(lit.span(), "expected a non-empty name"))
    } else {
        Ok(lit)
    }
}
