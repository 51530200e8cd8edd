//! Types: their syntax in a schema, resolving them, and the schema's own
//! value types (which must not contain themselves, and may lack a default).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use super::names::{Case, Names, SCHEMA_TYPE_NAMES};
use super::{Checker, Slot};
use crate::error::did_you_mean;
use crate::model::{self, Int, Ty, TypeBody};
use crate::read::schema::{self, LiteralText, TypeDef};
use crate::read::yaml::{Pos, Spanned};

/// The built-in scalar types, as written in a schema.
pub(crate) const SCALARS: &[&str] = &[
    "String", "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f64", "Uuid",
    "Decimal", "DateTime",
];

/// The built-in generic types, as written in a schema.
pub(crate) const GENERICS: &[&str] = &["Option<T>", "Vec<T>", "Map<String, T>", "Id<Aggregate>"];

/// A type as written: a name, where it starts in the text, and its type
/// arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Syntax {
    pub(crate) name: String,
    pub(crate) offset: usize,
    pub(crate) args: Vec<Syntax>,
}

/// Parses `Name` or `Name<Type, ...>`. On error, the offset (in characters)
/// and what was expected there.
pub(crate) fn parse(text: &str) -> Result<Syntax, (usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    let ty = parse_at(&chars, &mut at, 0)?;
    skip_spaces(&chars, &mut at);
    if at < chars.len() {
        return Err((
            at,
            format!(
                "'{}' after the type",
                chars[at..].iter().collect::<String>()
            ),
        ));
    }
    Ok(ty)
}

fn skip_spaces(chars: &[char], at: &mut usize) {
    while chars.get(*at).is_some_and(|c| c.is_whitespace()) {
        *at += 1;
    }
}

/// How deep type arguments may nest (`Vec<Option<...>>`).
const MAX_TYPE_DEPTH: usize = 8;

fn parse_at(chars: &[char], at: &mut usize, depth: usize) -> Result<Syntax, (usize, String)> {
    skip_spaces(chars, at);
    if depth > MAX_TYPE_DEPTH {
        return Err((
            *at,
            format!("type arguments nested more than {MAX_TYPE_DEPTH} deep"),
        ));
    }
    let offset = *at;
    while chars
        .get(*at)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        *at += 1;
    }
    if *at == offset {
        let found = chars
            .get(*at)
            .map_or("the end".to_owned(), |c| format!("'{c}'"));
        return Err((offset, format!("{found} where a type name should be")));
    }
    let name: String = chars[offset..*at].iter().collect();
    let mut args = Vec::new();
    skip_spaces(chars, at);
    if chars.get(*at) == Some(&'<') {
        *at += 1;
        loop {
            args.push(parse_at(chars, at, depth + 1)?);
            skip_spaces(chars, at);
            match chars.get(*at) {
                Some(',') => *at += 1,
                Some('>') => {
                    *at += 1;
                    break;
                }
                Some(c) => return Err((*at, format!("'{c}' in the type arguments of {name}"))),
                None => {
                    return Err((
                        *at,
                        format!("the end before '>' closes the type arguments of {name}"),
                    ));
                }
            }
        }
    }
    Ok(Syntax { name, offset, args })
}

/// A value type's checked shape.
pub(super) struct TypeInfo {
    name: model::Name,
    /// Its place in the model's types, sorted by name.
    at: model::TypeRef,
    pos: Pos,
    /// Resolved field types, of every variant for an enum.
    fields: Vec<Ty>,
    /// For an enum: whether its first variant is a unit variant.
    enum_default: Option<bool>,
    /// For an enum: its unit variants (those a `set` can assign).
    pub(super) unit_variants: Vec<model::Name>,
}

impl Ty {
    /// The built-in scalar named `name`.
    pub(crate) fn scalar(name: &str) -> Option<Ty> {
        Some(match name {
            "String" => Ty::String,
            "bool" => Ty::Bool,
            "f64" => Ty::F64,
            "Uuid" => Ty::Uuid,
            "Decimal" => Ty::Decimal,
            "DateTime" => Ty::DateTime,
            _ => Ty::Int(Int::ALL.iter().find(|(n, _)| *n == name)?.1),
        })
    }

    /// Whether the type can be added to and subtracted from.
    pub(crate) fn is_number(&self) -> bool {
        matches!(self, Ty::Int(_) | Ty::F64 | Ty::Decimal)
    }

    /// Whether the type, or a type inside it, did not resolve.
    pub(crate) fn is_unknown(&self) -> bool {
        match self {
            Ty::Unknown => true,
            Ty::Option(inner) | Ty::Vec(inner) | Ty::Map(inner) => inner.is_unknown(),
            _ => false,
        }
    }
}

/// The type as a schema writes it.
impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::String => f.write_str("String"),
            Ty::Bool => f.write_str("bool"),
            Ty::Int(int) => f.write_str(int.name()),
            Ty::F64 => f.write_str("f64"),
            Ty::Uuid => f.write_str("Uuid"),
            Ty::Decimal => f.write_str("Decimal"),
            Ty::DateTime => f.write_str("DateTime"),
            Ty::Option(inner) => write!(f, "Option<{inner}>"),
            Ty::Vec(inner) => write!(f, "Vec<{inner}>"),
            Ty::Map(inner) => write!(f, "Map<String, {inner}>"),
            Ty::Named(name, _) => f.write_str(&name.written),
            Ty::Id(name) => write!(f, "Id<{}>", name.written),
            Ty::Unknown => f.write_str("?"),
        }
    }
}

impl Checker<'_> {
    fn type_expected(&self) -> String {
        let mut own: Vec<&str> = self.types.keys().map(String::as_str).collect();
        own.sort_unstable();
        let own = if own.is_empty() {
            "this schema declares no types of its own".to_owned()
        } else {
            format!("or one of this schema's types: {}", own.join(", "))
        };
        format!(
            "a type: {}, {}; {own}",
            SCALARS.join(", "),
            GENERICS.join(", ")
        )
    }

    /// Resolves a type as written; reports unknown names and wrong shapes.
    pub(super) fn resolve(&mut self, text: &Spanned<String>, what: &str) -> Option<Ty> {
        match parse(&text.value) {
            Ok(syntax) => self.resolve_syntax(&syntax, text, what),
            Err((offset, found)) => {
                let expected = if text.value.contains('<') && !text.value.contains('>') {
                    "a whole type; inside `{ ... }` a comma ends the value, so quote a type that has one: \"Map<String, i64>\""
                } else {
                    "a type such as String, Vec<String> or Map<String, i64>"
                };
                self.err(
                    text.pos_at(offset),
                    format!(
                        "cannot read the type '{}' of {what}: found {found}",
                        text.value
                    ),
                    expected,
                );
                None
            }
        }
    }

    fn resolve_syntax(
        &mut self,
        syntax: &Syntax,
        text: &Spanned<String>,
        what: &str,
    ) -> Option<Ty> {
        let pos = text.pos_at(syntax.offset);
        let name = syntax.name.as_str();
        let arity = match name {
            "Option" | "Vec" | "Id" => 1,
            "Map" => 2,
            _ => 0,
        };
        if syntax.args.len() != arity {
            let form = match name {
                "Id" => "Id<Aggregate>, an aggregate of this schema".to_owned(),
                "Option" => "Option<T>".to_owned(),
                "Vec" => "Vec<T>".to_owned(),
                "Map" => "Map<String, T>".to_owned(),
                _ => name.to_owned(),
            };
            let message = match arity {
                0 => format!("type '{name}' of {what} takes no type arguments"),
                1 => format!("type '{name}' of {what} takes one type argument"),
                _ => format!("type '{name}' of {what} takes two type arguments"),
            };
            if arity > 0 || Ty::scalar(name).is_some() || self.types.contains_key(name) {
                self.err(pos, message, form);
                return None;
            }
        }
        match name {
            "Option" => {
                let inner = self.resolve_syntax(&syntax.args[0], text, what)?;
                if matches!(inner, Ty::Option(_)) {
                    self.err(pos, format!("type '{}' of {what} nests an Option in an Option", text.value), "a single Option: stored as JSON, None and Some(None) would be the same null");
                    return None;
                }
                Some(Ty::Option(Box::new(inner)))
            }
            "Id" => {
                let of = &syntax.args[0];
                match self.aggregate_names.get(&of.name) {
                    Some(aggregate) if of.args.is_empty() => Some(Ty::Id(aggregate.clone())),
                    _ => {
                        let mut known: Vec<&str> = self
                            .aggregate_names
                            .values()
                            .map(|n| n.written.as_str())
                            .collect();
                        known.sort_unstable();
                        known.dedup();
                        self.err(
                            text.pos_at(of.offset),
                            format!(
                                "'{}' in the type of {what} is not an aggregate of this schema",
                                of.name
                            ),
                            if known.is_empty() {
                                "an aggregate of this schema, but it has none".to_owned()
                            } else {
                                format!("one of: {}", known.join(", "))
                            },
                        );
                        None
                    }
                }
            }
            "Vec" => Some(Ty::Vec(Box::new(self.resolve_syntax(
                &syntax.args[0],
                text,
                what,
            )?))),
            "Map" => {
                let key = &syntax.args[0];
                let value = self.resolve_syntax(&syntax.args[1], text, what);
                if key.name != "String" || !key.args.is_empty() {
                    self.err(
                        text.pos_at(key.offset),
                        format!("the keys of a map must be String, in {what}"),
                        "Map<String, T>: stored as a JSON object, whose keys are strings",
                    );
                    return None;
                }
                Some(Ty::Map(Box::new(value?)))
            }
            _ => {
                if let Some(ty) = Ty::scalar(name) {
                    return Some(ty);
                }
                if let Some(info) = self.types.get(name) {
                    return Some(Ty::Named(info.name.clone(), info.at));
                }
                if let Some(aggregate) = name
                    .strip_suffix("Id")
                    .and_then(|of| self.aggregate_names.get(of))
                    .filter(|a| format!("{}Id", a.cased) == name)
                {
                    return Some(Ty::Id(aggregate.clone()));
                }
                let mut candidates: Vec<&str> = SCALARS.to_vec();
                candidates.extend(["Option", "Vec", "Map"]);
                candidates.extend(self.types.keys().map(String::as_str));
                let hint = did_you_mean(name, candidates)
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default();
                let expected = self.type_expected();
                self.err(
                    pos,
                    format!("unknown type '{name}' for {what}{hint}"),
                    expected,
                );
                None
            }
        }
    }

    /// Checks fields (of a value type, state or arguments): names,
    /// collisions, reserved names and types. A field whose name cannot be
    /// used is left out (it was reported).
    pub(super) fn slots(
        &mut self,
        fields: &[schema::Field],
        kind: &str,
        owner: &str,
        names: &mut Names,
    ) -> Vec<Slot> {
        let mut out = Vec::new();
        for field in fields {
            let fwhat = format!("{kind} '{}' of {owner}", field.name.value);
            let name = self.ident(&field.name, Case::Snake, &fwhat);
            let ty = self.resolve(&field.ty, &fwhat).unwrap_or(Ty::Unknown);
            let default = match &field.default {
                None => None,
                Some(_) if kind != "argument" => {
                    self.err(
                        field.name.pos,
                        format!("{fwhat} has a default: only an event's arguments take one"),
                        "no default here: a default is what a stored event without the argument is read with",
                    );
                    None
                }
                Some(LiteralText::Null(pos)) => {
                    if !matches!(ty, Ty::Option(_) | Ty::Unknown) {
                        self.err(
                            *pos,
                            format!("the default of {fwhat} is null, and it is not an Option"),
                            "a value of its type",
                        );
                    }
                    Some(model::Literal::None)
                }
                Some(LiteralText::Text(text)) => {
                    let target = match &ty {
                        Ty::Option(inner) => (**inner).clone(),
                        other => other.clone(),
                    };
                    self.literal(text, &target, &fwhat)
                }
            };
            if let Some(name) = name {
                names.claim(self.problems, &name.cased, &field.name, &fwhat);
                out.push(Slot {
                    field: model::Field {
                        name,
                        ty,
                        doc: field.doc.clone(),
                        default,
                    },
                    pos: field.name.pos,
                });
            }
        }
        out
    }

    pub(super) fn value_types(&mut self, defs: &[TypeDef]) -> Vec<model::ValueType> {
        // Names first, so that types can refer to each other.
        let mut known = Vec::new();
        for def in defs {
            let what = format!("type '{}'", def.name.value);
            let (name, valid) = self.type_ident(&def.name, &what);
            if SCHEMA_TYPE_NAMES.contains(&def.name.value.as_str()) {
                self.err(
                    def.name.pos,
                    format!("{what} has the name of a type of the schema language"),
                    "another name: the schema's type expressions use this one",
                );
                continue;
            }
            if !valid || self.claim_type(&name.cased, &def.name, &what) {
                self.types.insert(
                    def.name.value.clone(),
                    TypeInfo {
                        name,
                        at: model::TypeRef(0),
                        pos: def.name.pos,
                        fields: Vec::new(),
                        enum_default: None,
                        unit_variants: Vec::new(),
                    },
                );
                known.push(def);
            }
        }
        // Their places in the model, sorted by name, before any field type
        // refers to one.
        let mut order: Vec<&TypeDef> = known.clone();
        order.sort_by_cached_key(|def| self.types[&def.name.value].name.cased.clone());
        for (at, def) in order.iter().enumerate() {
            if let Some(info) = self.types.get_mut(&def.name.value) {
                info.at = model::TypeRef(at);
            }
        }
        let mut checked = Vec::new();
        for def in known {
            let what = format!("type '{}'", def.name.value);
            let body = match &def.body {
                schema::TypeBody::Struct(fields) => TypeBody::Struct(
                    self.slots(fields, "field", &what, &mut Names::new([]))
                        .into_iter()
                        .map(|slot| slot.field)
                        .collect(),
                ),
                schema::TypeBody::Enum(variants) => {
                    let mut names = Names::new([]);
                    let mut out = Vec::new();
                    if variants.is_empty() {
                        self.err(
                            def.name.pos,
                            format!("{what} has no variants"),
                            "at least one variant",
                        );
                    }
                    for variant in variants {
                        let vwhat = format!("variant '{}' of {what}", variant.name.value);
                        let Some(name) = self.ident(&variant.name, Case::UpperCamel, &vwhat) else {
                            continue;
                        };
                        names.claim(self.problems, &name.cased, &variant.name, &vwhat);
                        let fields = self
                            .slots(&variant.fields, "field", &vwhat, &mut Names::new([]))
                            .into_iter()
                            .map(|slot| slot.field)
                            .collect();
                        out.push(model::Variant {
                            name,
                            doc: variant.doc.clone(),
                            fields,
                        });
                    }
                    if let Some(info) = self.types.get_mut(&def.name.value) {
                        info.enum_default =
                            Some(variants.first().is_some_and(|v| v.fields.is_empty()));
                        info.unit_variants = out
                            .iter()
                            .filter(|v| v.fields.is_empty())
                            .map(|v| v.name.clone())
                            .collect();
                    }
                    TypeBody::Enum(out)
                }
            };
            if let Some(info) = self.types.get_mut(&def.name.value) {
                info.fields = match &body {
                    TypeBody::Struct(fields) => fields.iter().map(|f| f.ty.clone()).collect(),
                    TypeBody::Enum(variants) => variants
                        .iter()
                        .flat_map(|v| v.fields.iter().map(|f| f.ty.clone()))
                        .collect(),
                };
            }
            checked.push((def, body));
        }
        self.check_type_cycles();
        self.compute_defaults();
        checked.sort_by_key(|(def, _)| self.types[&def.name.value].at.0);
        checked
            .into_iter()
            .map(|(def, body)| model::ValueType {
                name: self.types[&def.name.value].name.clone(),
                doc: def.doc.clone(),
                has_default: self.defaults.get(&def.name.value).copied().unwrap_or(false),
                body,
            })
            .collect()
    }

    /// Whether a state field of type `ty` starts at a default value.
    pub(super) fn has_default(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Named(name, _) => self.defaults.get(&name.written).copied().unwrap_or(true),
            _ => true,
        }
    }

    /// Reports value types that contain themselves other than through a
    /// `Vec` or `Map`: they would be of infinite size.
    fn check_type_cycles(&mut self) {
        fn direct(ty: &Ty, out: &mut Vec<String>) {
            match ty {
                Ty::Named(name, _) => out.push(name.written.clone()),
                Ty::Option(inner) => direct(inner, out),
                _ => {}
            }
        }
        let mut edges: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (name, info) in &self.types {
            let mut out = Vec::new();
            for ty in &info.fields {
                direct(ty, &mut out);
            }
            edges.insert(name, out);
        }
        let mut found = Vec::new();
        for (start, next) in &edges {
            let mut seen = HashSet::new();
            let mut stack: Vec<&str> = next.iter().map(String::as_str).collect();
            while let Some(n) = stack.pop() {
                if n == *start {
                    found.push(((*start).to_owned(), self.types[*start].pos));
                    break;
                }
                if seen.insert(n) {
                    stack.extend(edges.get(n).into_iter().flatten().map(String::as_str));
                }
            }
        }
        for (name, pos) in found {
            self.err(
                pos,
                format!("type '{name}' contains itself, so a value of it would never end"),
                "the recursion inside a Vec or a Map",
            );
        }
    }

    fn compute_defaults(&mut self) {
        fn visit(
            name: &str,
            types: &HashMap<String, TypeInfo>,
            memo: &mut HashMap<String, bool>,
            visiting: &mut HashSet<String>,
        ) -> bool {
            if let Some(known) = memo.get(name) {
                return *known;
            }
            let Some(info) = types.get(name) else {
                return true;
            };
            if !visiting.insert(name.to_owned()) {
                return true;
            }
            let result = match info.enum_default {
                Some(first_is_unit) => first_is_unit,
                None => info.fields.iter().all(|ty| match ty {
                    Ty::Named(name, _) => visit(&name.written, types, memo, visiting),
                    // An aggregate's id has no default (a nil id is no id).
                    Ty::Id(_) => false,
                    _ => true,
                }),
            };
            visiting.remove(name);
            memo.insert(name.to_owned(), result);
            result
        }
        let mut memo = HashMap::new();
        let names: Vec<String> = self.types.keys().cloned().collect();
        for name in names {
            visit(&name, &self.types, &mut memo, &mut HashSet::new());
        }
        self.defaults = memo;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_with_offsets() {
        let ty = parse("Map<String,  Vec<Strng>>").unwrap();
        assert_eq!(ty.name, "Map");
        assert_eq!(ty.args[1].name, "Vec");
        assert_eq!(ty.args[1].offset, 13);
        assert_eq!(ty.args[1].args[0].offset, 17);
        assert_eq!(parse("Vec<String").unwrap_err().0, 10);
        assert_eq!(parse("Vec<>").unwrap_err().0, 4);
        assert_eq!(parse("String x").unwrap_err().0, 7);
        let deep = format!("{}String{}", "Vec<".repeat(100_000), ">".repeat(100_000));
        assert_eq!(parse(&deep).unwrap_err().0, 36);
        assert!(parse(&format!("{}String{}", "Vec<".repeat(8), ">".repeat(8))).is_ok());
    }
}
