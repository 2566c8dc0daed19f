//! The rules a `#[derive(Supervisor)]` struct must follow beyond each
//! value's own (those are checked where it is read, in [`super::attr`]).
//! Every spec error `SupervisorBuilder::build` can find is one of them or
//! one of those, so a derived supervisor that compiles always builds:
//!
//! 1. it is a struct with named fields (one per child), not generic;
//! 2. a `significant` child is `Transient` or `Temporary` (OTP's
//!    `bad_combination`: a permanent child never ends by itself);
//! 3. a `significant` child needs the supervisor's `auto_shutdown` to be
//!    `AnySignificant` or `AllSignificant` (with `Never` it would stop
//!    nothing: `bad_combination` too);
//! 4. no two children have the same id (`duplicate_child_name`), nor
//!    register the same name (the second could never start);
//! 5. no field is named `supervisor`: the refs struct has a field of that
//!    name for the supervisor itself.
use std::collections::HashMap;

use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DataStruct, DeriveInput, Error, Fields, FieldsNamed, Ident, Result};

use super::attr::Child;
use super::Tree;
use crate::attr::Errors;

/// Rule 1: a struct with named fields, without generics.
pub(crate) fn check_shape(input: &DeriveInput) -> Result<&FieldsNamed> {
    let fields =
        match &input.data {
            Data::Struct(DataStruct {
                fields: Fields::Named(fields),
                ..
            }) => fields,
            Data::Struct(DataStruct {
                fields: Fields::Unnamed(fields),
                ..
            }) => return Err(Error::new_spanned(
                fields,
                "`#[derive(Supervisor)]` needs named fields, one per child (the field's name is \
                 the child's id): `struct App { db: Db, cache: Cache }`",
            )),
            Data::Struct(DataStruct {
                fields: Fields::Unit,
                ..
            }) => {
                return Err(Error::new(
                    input.ident.span(),
                    "`#[derive(Supervisor)]` needs a struct with named fields, one per child: \
                 `struct App { db: Db, cache: Cache }` (use `Supervisor::builder()` for a \
                 supervisor without children)",
                ))
            }
            Data::Enum(e) => {
                return Err(Error::new(
                    e.enum_token.span,
                    "`#[derive(Supervisor)]` goes on a struct whose fields are the children, not \
                 on an enum",
                ))
            }
            Data::Union(u) => {
                return Err(Error::new(
                    u.union_token.span,
                    "`#[derive(Supervisor)]` goes on a struct whose fields are the children, not \
                 on a union",
                ))
            }
        };
    if !input.generics.params.is_empty() {
        return Err(Error::new_spanned(
            &input.generics.params,
            "`#[derive(Supervisor)]` does not support generic structs: name the children's \
             types",
        ));
    }
    Ok(fields)
}

/// Rules 2 to 5, every breach reported.
pub(crate) fn check_tree(tree: &Tree, ident: &Ident, errors: &mut Errors) {
    for child in &tree.children {
        check_significant(tree, child, errors);
        if child.field.unraw() == "supervisor" {
            errors.push(Error::new(
                child.field.span(),
                format!(
                    "a child cannot be named `supervisor`: `{ident}Refs` has a field of that \
                     name for the supervisor itself; rename the field (`#[child(id = \
                     \"supervisor\")]` keeps the id)"
                ),
            ));
        }
    }
    check_unique(&tree.children, errors);
}

/// A field whose type is plainly a supervisor (`Supervisor`,
/// `DynamicSupervisor`) without `#[child(supervisor)]`: say so, rather than
/// let rustc say the type is not an actor (the field is then expanded as a
/// supervisor, so that this is the only error about it).
pub(crate) fn check_unmarked_supervisors(tree: &mut Tree, errors: &mut Errors) {
    for child in tree.children.iter_mut().filter(|c| c.supervisor.is_none()) {
        let syn::Type::Path(path) = &child.ty else {
            continue;
        };
        let Some(last) = path.path.segments.last() else {
            continue;
        };
        if last.ident == "Supervisor" || last.ident == "DynamicSupervisor" {
            errors.push(Error::new_spanned(
                &child.ty,
                format!(
                    "`{}` is a supervisor, not an actor: mark the field `#[child(supervisor)]`",
                    last.ident
                ),
            ));
            child.supervisor = Some(child.ty.span());
        }
    }
}

/// Rules 2 and 3, each an error on `significant`.
fn check_significant(tree: &Tree, child: &Child, errors: &mut Errors) {
    let Some(span) = child.significant else {
        return;
    };
    let permanent = match &child.restart {
        Some(r) => (r == "Permanent").then_some("has `restart = Permanent`"),
        None if child.restart_given => None,
        None => Some("is `Permanent` (the default)"),
    };
    if let Some(restart) = permanent {
        errors.push(Error::new(
            span,
            format!(
                "a significant child must be `Transient` or `Temporary`: this one {restart}, \
                 so it is restarted whatever its exit and never ends the supervisor; set \
                 `restart = Transient`"
            ),
        ));
    }
    let flags = &tree.flags;
    let never = match &flags.auto_shutdown {
        Some(a) => (a == "Never").then_some("`Never`"),
        None if flags.auto_shutdown_given => None,
        None => Some("`Never` (the default)"),
    };
    if let Some(never) = never {
        errors.push(Error::new(
            span,
            format!(
                "`significant` needs the supervisor's `auto_shutdown` to be `AnySignificant` or \
                 `AllSignificant`, but it is {never}, so this child's end would stop nothing; \
                 add `#[supervisor(auto_shutdown = AnySignificant)]`"
            ),
        ));
    }
}

/// Rule 4: the second child with an id (or a registered name) already
/// taken is the error, pointing back at the first.
fn check_unique(children: &[Child], errors: &mut Errors) {
    let mut ids: HashMap<String, &Ident> = HashMap::new();
    let mut names: HashMap<String, &Ident> = HashMap::new();
    for child in children {
        let id = child.id.value();
        match ids.get(&id) {
            Some(first) => errors.push(Error::new(
                child.id.span(),
                format!(
                    "two children have the id \"{id}\" (`{first}` and `{}`); ids are unique \
                     within a supervisor: give one `#[child(id = \"...\")]`",
                    child.field
                ),
            )),
            None => {
                ids.insert(id, &child.field);
            }
        }
        let Some(name) = &child.name else { continue };
        match names.get(&name.value()) {
            Some(first) => errors.push(Error::new(
                name.span(),
                format!(
                    "`{first}` registers the name \"{}\" already; a name has one holder, so \
                     this child could never start",
                    name.value()
                ),
            )),
            None => {
                names.insert(name.value(), &child.field);
            }
        }
    }
}
