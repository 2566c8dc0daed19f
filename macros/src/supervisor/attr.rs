//! `#[supervisor(...)]` on the struct (the supervisor's flags) and
//! `#[child(...)]` on its fields (each child's spec), read.
//!
//! Checked here, as each value is read, with the error on the key or the
//! value: unknown keys, duplicate keys, values of the wrong kind (a variant
//! that does not exist, a negative or oversized number, a quoted variant),
//! a zero restart window, both `within_secs` and `within_ms`, an empty
//! `name` or `id`, and each attribute on the wrong item. A value that is
//! wrong is left out; the key is remembered as given, so that the rules in
//! [`super::valid`] do not judge the default in its place.
use std::fmt::Display;
use std::str::FromStr;

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::{
    Attribute, Error, Expr, ExprLit, ExprUnary, Field, Ident, Lit, LitStr, Path, Result, Type,
    UnOp, Visibility,
};

use crate::attr::{each_key, flag, parse_path, set, skip_value, Errors};

/// The keys `#[supervisor(...)]` accepts, for the unknown-key message.
const SUPERVISOR_KEYS: &str =
    "strategy, max_restarts, within_secs, within_ms, auto_shutdown, crate";

/// The keys `#[child(...)]` accepts, for the unknown-key message.
const CHILD_KEYS: &str = "restart, shutdown, significant, name, id, supervisor";

const STRATEGIES: Variants = Variants {
    what: "strategy",
    ty: "Strategy",
    names: &["OneForOne", "OneForAll", "RestForOne"],
};

const AUTO_SHUTDOWNS: Variants = Variants {
    what: "auto_shutdown",
    ty: "AutoShutdown",
    names: &["Never", "AnySignificant", "AllSignificant"],
};

const RESTARTS: Variants = Variants {
    what: "restart type",
    ty: "Restart",
    names: &["Permanent", "Transient", "Temporary"],
};

/// What `#[supervisor(...)]` attributes say, merged.
#[derive(Default)]
pub(crate) struct Flags {
    pub(crate) krate: Option<Path>,
    pub(crate) strategy: Option<Ident>,
    pub(crate) max_restarts: Option<u32>,
    pub(crate) within: Option<Within>,
    /// The first of `within_secs` / `within_ms` written, right or wrong.
    within_key: Option<Ident>,
    pub(crate) auto_shutdown: Option<Ident>,
    /// `auto_shutdown` was written, whether or not its value was right.
    pub(crate) auto_shutdown_given: bool,
}

/// The restart window: `within_secs` or `within_ms`, above zero.
pub(crate) struct Within {
    pub(crate) millis: bool,
    pub(crate) n: u64,
}

/// One field: a child, and what its `#[child(...)]` attributes say.
pub(crate) struct Child {
    pub(crate) field: Ident,
    /// The field's visibility, which its field of the refs struct keeps.
    pub(crate) vis: Visibility,
    pub(crate) ty: Type,
    /// The field's doc comment, repeated on its field of the refs struct.
    pub(crate) docs: Vec<Attribute>,
    /// `id = "..."`, or the field's name spanned on the field.
    pub(crate) id: LitStr,
    pub(crate) restart: Option<Ident>,
    /// `restart` was written, whether or not its value was right.
    pub(crate) restart_given: bool,
    pub(crate) shutdown: Option<ShutdownValue>,
    pub(crate) significant: Option<Span>,
    pub(crate) name: Option<LitStr>,
    /// `supervisor`: the field's type is a supervisor, not an actor.
    pub(crate) supervisor: Option<Span>,
}

/// `shutdown = BrutalKill | Infinity | <ms>`.
pub(crate) enum ShutdownValue {
    BrutalKill,
    Infinity,
    Millis(u64),
}

impl Flags {
    /// Reads every `#[supervisor(...)]` among the struct's attributes (and
    /// rejects a `#[child(...)]` there).
    pub(crate) fn parse(attrs: &[Attribute], errors: &mut Errors) -> Flags {
        let mut out = Flags::default();
        for attr in attrs {
            if attr.path().is_ident("child") {
                errors.push(Error::new_spanned(
                    attr,
                    "`#[child(...)]` goes on a field (a child), not on the struct; the \
                     supervisor's own settings are `#[supervisor(...)]`",
                ));
                continue;
            }
            if !attr.path().is_ident("supervisor") {
                continue;
            }
            each_key(attr, errors, |meta| out.key(meta));
        }
        out
    }

    fn key(&mut self, meta: &ParseNestedMeta<'_>) -> Result<()> {
        let Some(key) = meta.path.get_ident() else {
            skip_value(meta)?;
            return Err(meta.error(format!("expected one of: {SUPERVISOR_KEYS}")));
        };
        match key.to_string().as_str() {
            "crate" => set(&mut self.krate, key, parse_path(meta)?),
            "strategy" => set(&mut self.strategy, key, STRATEGIES.parse(meta, key)?),
            "max_restarts" => {
                let n = integer::<u32>(meta, key, "u32", "max_restarts = 3")?;
                set(&mut self.max_restarts, key, n.0)
            }
            "within_secs" | "within_ms" => self.within(meta, key),
            "auto_shutdown" => {
                self.auto_shutdown_given = true;
                set(
                    &mut self.auto_shutdown,
                    key,
                    AUTO_SHUTDOWNS.parse(meta, key)?,
                )
            }
            other => {
                skip_value(meta)?;
                Err(Error::new(
                    key.span(),
                    format!(
                        "unknown `supervisor` attribute `{other}`; expected one of: \
                         {SUPERVISOR_KEYS}"
                    ),
                ))
            }
        }
    }

    /// `within_secs = N` or `within_ms = N`: once, above zero.
    fn within(&mut self, meta: &ParseNestedMeta<'_>, key: &Ident) -> Result<()> {
        let millis = key == "within_ms";
        let example = if millis {
            "within_ms = 500"
        } else {
            "within_secs = 5"
        };
        let value = integer::<u64>(meta, key, "u64", example);
        if let Some(first) = &self.within_key {
            return Err(if first == key {
                Error::new(key.span(), format!("duplicate `{key}`"))
            } else {
                Error::new(
                    key.span(),
                    format!(
                        "`{first}` and `{key}` conflict: give the restart window once, in \
                         seconds or in milliseconds"
                    ),
                )
            });
        }
        self.within_key = Some(key.clone());
        let (n, span) = value?;
        if n == 0 {
            return Err(Error::new(span, "the restart window must be above zero"));
        }
        self.within = Some(Within { millis, n });
        Ok(())
    }
}

impl Child {
    /// Reads a named field and its `#[child(...)]` attributes (and rejects
    /// a `#[supervisor(...)]` there).
    pub(crate) fn parse(field: &Field, errors: &mut Errors) -> Child {
        let ident = field.ident.clone().expect("a named field");
        let mut out = Child {
            id: LitStr::new(&ident.unraw().to_string(), ident.span()),
            field: ident,
            vis: field.vis.clone(),
            ty: field.ty.clone(),
            docs: field
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .cloned()
                .collect(),
            restart: None,
            restart_given: false,
            shutdown: None,
            significant: None,
            name: None,
            supervisor: None,
        };
        let mut id: Option<LitStr> = None;
        for attr in &field.attrs {
            if attr.path().is_ident("supervisor") {
                errors.push(Error::new_spanned(
                    attr,
                    "`#[supervisor(...)]` goes on the struct; a field takes `#[child(...)]` \
                     (`#[child(supervisor)]` if the field is itself a supervisor)",
                ));
                continue;
            }
            if !attr.path().is_ident("child") {
                continue;
            }
            each_key(attr, errors, |meta| out.key(meta, &mut id));
        }
        if let Some(id) = id {
            out.id = id;
        }
        out
    }

    fn key(&mut self, meta: &ParseNestedMeta<'_>, id: &mut Option<LitStr>) -> Result<()> {
        let Some(key) = meta.path.get_ident() else {
            skip_value(meta)?;
            return Err(meta.error(format!("expected one of: {CHILD_KEYS}")));
        };
        let span = key.span();
        match key.to_string().as_str() {
            "restart" => {
                self.restart_given = true;
                set(&mut self.restart, key, RESTARTS.parse(meta, key)?)
            }
            "shutdown" => set(&mut self.shutdown, key, shutdown(meta)?),
            "significant" => set(&mut self.significant, key, flag(meta, span)?),
            "supervisor" => set(&mut self.supervisor, key, flag(meta, span)?),
            "name" => set(&mut self.name, key, string(meta, key, "a registered name")?),
            "id" => set(id, key, string(meta, key, "a child id")?),
            other => {
                skip_value(meta)?;
                Err(Error::new(
                    span,
                    format!("unknown `child` attribute `{other}`; expected one of: {CHILD_KEYS}"),
                ))
            }
        }
    }
}

/// The variants one key may name (`strategy = OneForAll`).
struct Variants {
    /// What the key sets, for messages.
    what: &'static str,
    /// keel's enum, for a value written `Strategy::OneForAll`.
    ty: &'static str,
    names: &'static [&'static str],
}

impl Variants {
    /// Reads `= Variant`: one of the names, unquoted and alone.
    fn parse(&self, meta: &ParseNestedMeta<'_>, key: &Ident) -> Result<Ident> {
        let expr: Expr = meta.value()?.parse()?;
        let expected = self.expected();
        match &expr {
            Expr::Path(p) if p.qself.is_none() => {
                if let Some(ident) = p.path.get_ident() {
                    if self.names.iter().any(|n| ident == n) {
                        return Ok(ident.clone());
                    }
                    let hint = self
                        .like(&ident.to_string())
                        .map(|n| format!(" (did you mean `{n}`?)"))
                        .unwrap_or_default();
                    return Err(Error::new(
                        ident.span(),
                        format!("unknown {} `{ident}`; expected {expected}{hint}", self.what),
                    ));
                }
                let segments: Vec<_> = p.path.segments.iter().map(|s| &s.ident).collect();
                if let [ty, variant] = segments[..] {
                    if ty == self.ty && self.names.iter().any(|n| variant == n) {
                        return Err(Error::new_spanned(
                            &expr,
                            format!("write the variant alone: `{key} = {variant}`"),
                        ));
                    }
                }
            }
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => {
                if let Some(n) = self.like(&s.value()) {
                    return Err(Error::new(
                        s.span(),
                        format!("write the variant without quotes: `{key} = {n}`"),
                    ));
                }
            }
            _ => {}
        }
        Err(Error::new_spanned(&expr, format!("expected {expected}")))
    }

    /// "`A`, `B` or `C`".
    fn expected(&self) -> String {
        let quoted: Vec<String> = self.names.iter().map(|n| format!("`{n}`")).collect();
        match quoted.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => quoted.concat(),
        }
    }

    /// The variant `written` means if case and underscores are ignored
    /// (`one_for_all`, the OTP spelling, is `OneForAll`).
    fn like(&self, written: &str) -> Option<&'static str> {
        let folded = |s: &str| s.replace('_', "").to_lowercase();
        let written = folded(written);
        self.names.iter().copied().find(|n| folded(n) == written)
    }
}

/// `shutdown = BrutalKill | Infinity | <ms>`.
fn shutdown(meta: &ParseNestedMeta<'_>) -> Result<ShutdownValue> {
    let expr: Expr = meta.value()?.parse()?;
    const EXPECTED: &str =
        "expected `BrutalKill`, `Infinity`, or a timeout in milliseconds (`shutdown = 5000`)";
    match &expr {
        Expr::Path(p) if p.qself.is_none() => match p.path.get_ident() {
            Some(ident) if ident == "BrutalKill" => Ok(ShutdownValue::BrutalKill),
            Some(ident) if ident == "Infinity" => Ok(ShutdownValue::Infinity),
            Some(ident) => Err(Error::new(
                ident.span(),
                format!("unknown shutdown `{ident}`; {EXPECTED}"),
            )),
            None => Err(Error::new_spanned(&expr, EXPECTED)),
        },
        Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        }) => lit
            .base10_parse::<u64>()
            .map(ShutdownValue::Millis)
            .map_err(|_| {
                Error::new(
                    lit.span(),
                    "a shutdown timeout in milliseconds must fit in a `u64`",
                )
            }),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_), ..
        }) => Err(Error::new_spanned(
            &expr,
            "a shutdown timeout cannot be negative",
        )),
        _ => Err(Error::new_spanned(&expr, EXPECTED)),
    }
}

/// `key = N`: an integer literal, not negative, that fits in `T`
/// (`ty`, for the message); its value and span.
fn integer<T>(meta: &ParseNestedMeta<'_>, key: &Ident, ty: &str, example: &str) -> Result<(T, Span)>
where
    T: FromStr,
    T::Err: Display,
{
    let expr: Expr = meta.value()?.parse()?;
    match &expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        }) => match lit.base10_parse::<T>() {
            Ok(n) => Ok((n, lit.span())),
            Err(_) => Err(Error::new(
                lit.span(),
                format!("`{key}` must fit in a `{ty}`"),
            )),
        },
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_), ..
        }) => Err(Error::new_spanned(
            &expr,
            format!("`{key}` cannot be negative"),
        )),
        _ => Err(Error::new_spanned(
            &expr,
            format!("expected a non-negative integer: `{example}`"),
        )),
    }
}

/// `key = "..."`, not empty.
fn string(meta: &ParseNestedMeta<'_>, key: &Ident, what: &str) -> Result<LitStr> {
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => {
            if s.value().is_empty() {
                Err(Error::new(s.span(), format!("{what} cannot be empty")))
            } else {
                Ok(s)
            }
        }
        other => Err(Error::new_spanned(
            other,
            format!("expected a string: `{key} = \"...\"`"),
        )),
    }
}
