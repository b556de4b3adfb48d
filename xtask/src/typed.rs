//! The typed-request walkers of `generated/src/validate_typed.rs`: for each command, a
//! function that visits the fields of the generated request struct directly (no key
//! lookup, no allocation), reporting each to a `RequestVisitor` with its index in the
//! command's rule table.
//!
//! Inputs: the command layouts of the rule tables ([`crate::rules::CommandLayout`]) and
//! progenitor's `client.rs` (parsed with `syn` to learn each struct's Rust field names,
//! JSON names, optionality and `skip_serializing_if`). Every mismatch between the two
//! (a struct field the table does not know, a JSON type that differs, an `Option` that
//! would serialize as `null`, fields not in serialization order) is an error: the walk
//! must present exactly what `serde_json::to_value` would.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::rules::CommandLayout;

/// The template copied verbatim at the top of the generated module.
const MODEL: &str = include_str!("templates/typed_model.rs");

/// The shape of a field's Rust type.
#[derive(Debug, Clone)]
enum Wrap {
    Plain,
    Option,
    Vec,
}

#[derive(Debug, Clone)]
struct StructField {
    ident: String,
    json: String,
    wrap: Wrap,
    inner: String,
    skip_if: Option<String>,
}

#[derive(Debug, Clone)]
enum TypeDef {
    /// A struct with named fields, in declaration (= serialization) order.
    Struct(Vec<StructField>),
    /// A newtype over `String`.
    Newtype,
    /// An enum of unit variants (serialized as strings).
    UnitEnum,
    /// An untagged enum of single-field tuple variants: (variant, inner type).
    Untagged(Vec<(String, String)>),
}

fn last_ident(ty: &syn::Type) -> Option<(String, Option<syn::Type>)> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let arg = match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        }),
        _ => None,
    };
    Some((seg.ident.to_string(), arg))
}

fn serde_attrs(attrs: &[syn::Attribute]) -> (Option<String>, Option<String>, bool) {
    let (mut rename, mut skip_if, mut untagged) = (None, None, false);
    for a in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = a.parse_nested_meta(|m| {
            if m.path.is_ident("rename") {
                let s: syn::LitStr = m.value()?.parse()?;
                rename = Some(s.value());
            } else if m.path.is_ident("skip_serializing_if") {
                let s: syn::LitStr = m.value()?.parse()?;
                skip_if = Some(s.value());
            } else if m.path.is_ident("untagged") {
                untagged = true;
            } else if m.input.peek(syn::Token![=]) {
                let _: syn::Expr = m.value()?.parse()?;
            }
            Ok(())
        });
    }
    (rename, skip_if, untagged)
}

/// Collects the type definitions of `pub mod types` in progenitor's output.
fn collect_types(client_src: &str) -> Result<BTreeMap<String, TypeDef>, String> {
    let file = syn::parse_file(client_src).map_err(|e| format!("client.rs: {e}"))?;
    let types = file
        .items
        .iter()
        .find_map(|i| match i {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|c| &c.1),
            _ => None,
        })
        .ok_or("client.rs has no `mod types`")?;
    let mut out = BTreeMap::new();
    for item in types {
        match item {
            syn::Item::Struct(s) => {
                let def = match &s.fields {
                    syn::Fields::Named(named) => {
                        let mut fields = Vec::new();
                        for f in &named.named {
                            let ident = f
                                .ident
                                .as_ref()
                                .map(ToString::to_string)
                                .unwrap_or_default();
                            let (rename, skip_if, _) = serde_attrs(&f.attrs);
                            let json = rename.unwrap_or_else(|| ident.clone());
                            let (outer, arg) = last_ident(&f.ty)
                                .ok_or_else(|| format!("{}.{ident}: unsupported type", s.ident))?;
                            let (wrap, inner) = match (outer.as_str(), arg) {
                                ("Option", Some(t)) => (Wrap::Option, t),
                                ("Vec", Some(t)) => (Wrap::Vec, t),
                                _ => (Wrap::Plain, f.ty.clone()),
                            };
                            let inner = last_ident(&inner)
                                .map(|(n, _)| n)
                                .ok_or_else(|| format!("{}.{ident}: unsupported type", s.ident))?;
                            fields.push(StructField {
                                ident,
                                json,
                                wrap,
                                inner,
                                skip_if,
                            });
                        }
                        TypeDef::Struct(fields)
                    }
                    syn::Fields::Unnamed(u) if u.unnamed.len() == 1 => {
                        match last_ident(&u.unnamed[0].ty) {
                            Some((n, _)) if n == "String" => TypeDef::Newtype,
                            _ => continue,
                        }
                    }
                    _ => continue,
                };
                out.insert(s.ident.to_string(), def);
            }
            syn::Item::Enum(e) => {
                let (_, _, untagged) = serde_attrs(&e.attrs);
                if e.variants
                    .iter()
                    .all(|v| matches!(v.fields, syn::Fields::Unit))
                {
                    out.insert(e.ident.to_string(), TypeDef::UnitEnum);
                } else if untagged {
                    let mut vars = Vec::new();
                    for v in &e.variants {
                        match &v.fields {
                            syn::Fields::Unnamed(u) if u.unnamed.len() == 1 => {
                                if let Some((n, _)) = last_ident(&u.unnamed[0].ty) {
                                    vars.push((v.ident.to_string(), n));
                                }
                            }
                            _ => {}
                        }
                    }
                    if vars.len() == e.variants.len() {
                        out.insert(e.ident.to_string(), TypeDef::Untagged(vars));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

struct Gen<'a> {
    types: &'a BTreeMap<String, TypeDef>,
    layout: &'a CommandLayout,
    out: String,
    vars: usize,
}

impl Gen<'_> {
    fn var(&mut self) -> String {
        self.vars += 1;
        format!("x{}", self.vars)
    }

    fn err(&self, at: &str, what: &str) -> String {
        format!("{} {at}: {what}", self.layout.command)
    }

    /// Emits the walk of an object value `var` of type `ty` against `children`.
    fn object(&mut self, ty: &str, var: &str, children: &[usize]) -> Result<(), String> {
        match self.types.get(ty) {
            Some(TypeDef::Struct(fields)) => {
                let fields = fields.clone();
                self.fields(ty, &fields, var, children)
            }
            Some(TypeDef::Untagged(vars)) => {
                let vars = vars.clone();
                let _ = writeln!(self.out, "match {var} {{");
                for (variant, inner) in vars {
                    let x = self.var();
                    let _ = writeln!(self.out, "types::{ty}::{variant}({x}) => {{");
                    self.object(&inner, &x, children)?;
                    let _ = writeln!(self.out, "}}");
                }
                let _ = writeln!(self.out, "}}");
                Ok(())
            }
            _ => Err(self.err(ty, "not an object type of the generated types")),
        }
    }

    fn fields(
        &mut self,
        ty: &str,
        fields: &[StructField],
        var: &str,
        children: &[usize],
    ) -> Result<(), String> {
        let layout = self.layout;
        // serde_json's Map without `preserve_order` is sorted by key; with it, it keeps
        // the serialization order. Both agree only if the struct's order is sorted.
        if fields
            .windows(2)
            .any(|w| w[0].json.as_bytes() >= w[1].json.as_bytes())
        {
            return Err(self.err(ty, "fields are not in JSON-name order"));
        }
        let mut found = Vec::new();
        for f in fields {
            let k = children
                .iter()
                .copied()
                .find(|&k| layout.fields[k].name == f.json)
                .ok_or_else(|| self.err(ty, &format!("field `{}` is not in the table", f.json)))?;
            found.push(k);
            let lf = &layout.fields[k];
            let skip_empty = f
                .skip_if
                .as_deref()
                .is_some_and(|s| s.ends_with("is_empty"));
            let skip_none = f.skip_if.as_deref().is_some_and(|s| s.ends_with("is_none"));
            let access = format!("&{var}.{}", f.ident);
            let (open, close) = match f.wrap {
                Wrap::Plain => {
                    let x = self.var();
                    (format!("{{ let {x} = {access};"), "}".to_string())
                }
                Wrap::Option if skip_none => {
                    let x = self.var();
                    (format!("if let Some({x}) = {access} {{"), "}".to_string())
                }
                Wrap::Option => {
                    return Err(self.err(
                        &lf.path,
                        "Option without skip_serializing_if (would serialize null)",
                    ))
                }
                Wrap::Vec if skip_empty => (
                    format!("if !{var}.{}.is_empty() {{", f.ident),
                    "}".to_string(),
                ),
                Wrap::Vec => ("{".to_string(), "}".to_string()),
            };
            let x = format!("x{}", self.vars);
            let _ = writeln!(self.out, "{open}");
            let def = self.types.get(&f.inner).cloned();
            match (&f.wrap, lf.json_type, def) {
                (Wrap::Vec, "array", Some(TypeDef::Struct(_) | TypeDef::Untagged(_))) => {
                    let item = self.var();
                    let _ = writeln!(
                        self.out,
                        "v.enter::<{k}>(); for (i, {item}) in {var}.{}.iter().enumerate() {{ v.enter_index(i);",
                        f.ident
                    );
                    self.object(&f.inner, &item, &lf.children)?;
                    let _ = writeln!(self.out, "v.leave_index(); }} v.leave();");
                }
                (Wrap::Vec, _, _) => {
                    return Err(self.err(&lf.path, "a Vec that is not an array of objects"))
                }
                (_, "string", Some(TypeDef::Newtype)) => {
                    let _ = writeln!(self.out, "v.string::<{k}>({x}.as_str());");
                }
                (_, "string", None) if f.inner == "String" => {
                    let _ = writeln!(self.out, "v.string::<{k}>({x}.as_str());");
                }
                (_, "string", Some(TypeDef::UnitEnum)) => {
                    let _ = writeln!(self.out, "v.string::<{k}>(wire_name({x}));");
                }
                (_, "object", Some(TypeDef::Struct(_) | TypeDef::Untagged(_))) => {
                    let _ = writeln!(self.out, "v.enter::<{k}>();");
                    self.object(&f.inner, &x, &lf.children)?;
                    let _ = writeln!(self.out, "v.leave();");
                }
                (_, jt, _) => {
                    return Err(self.err(
                        &lf.path,
                        &format!("Rust type `{}` does not match JSON type {jt}", f.inner),
                    ))
                }
            }
            let _ = writeln!(self.out, "{close}");
        }
        // Absent fields, in the table's order.
        for &k in children {
            match found.iter().position(|&j| j == k) {
                None => {
                    let _ = writeln!(self.out, "v.absent::<{k}>();");
                }
                Some(pos) => {
                    let f = &fields[pos];
                    match f.wrap {
                        Wrap::Plain => {}
                        Wrap::Option => {
                            let _ = writeln!(
                                self.out,
                                "if {var}.{}.is_none() {{ v.absent::<{k}>(); }}",
                                f.ident
                            );
                        }
                        Wrap::Vec => {
                            if f.skip_if
                                .as_deref()
                                .is_some_and(|s| s.ends_with("is_empty"))
                            {
                                let _ = writeln!(
                                    self.out,
                                    "if {var}.{}.is_empty() {{ v.absent::<{k}>(); }}",
                                    f.ident
                                );
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The accessor of `order.payType` (wire value), when the request has one.
    fn pay_type(&self, root_ty: &str) -> Result<String, String> {
        let layout = self.layout;
        let Some(order) = layout
            .root
            .iter()
            .map(|&k| &layout.fields[k])
            .find(|f| f.name == "order")
        else {
            return Ok("None".into());
        };
        if !order
            .children
            .iter()
            .any(|&k| layout.fields[k].name == "payType")
        {
            return Ok("None".into());
        }
        let Some(TypeDef::Struct(root)) = self.types.get(root_ty) else {
            return Err(self.err(root_ty, "not a struct"));
        };
        let of = root
            .iter()
            .find(|f| f.json == "order")
            .ok_or_else(|| self.err(root_ty, "no order field"))?;
        let Some(TypeDef::Struct(order_fields)) = self.types.get(&of.inner) else {
            return Err(self.err("order", "payType inside a oneOf is not supported"));
        };
        let pf = order_fields
            .iter()
            .find(|f| f.json == "payType")
            .ok_or_else(|| self.err("order", "no payType field"))?;
        let get = match (&of.wrap, &pf.wrap) {
            (Wrap::Plain, Wrap::Plain) => {
                format!("Some(wire_name(&r.{}.{}))", of.ident, pf.ident)
            }
            (Wrap::Plain, Wrap::Option) => {
                format!("r.{}.{}.as_ref().map(wire_name)", of.ident, pf.ident)
            }
            (Wrap::Option, Wrap::Plain) => {
                format!(
                    "r.{}.as_ref().map(|o| wire_name(&o.{}))",
                    of.ident, pf.ident
                )
            }
            (Wrap::Option, Wrap::Option) => format!(
                "r.{}.as_ref().and_then(|o| o.{}.as_ref()).map(wire_name)",
                of.ident, pf.ident
            ),
            _ => return Err(self.err("order.payType", "unsupported shape")),
        };
        if !matches!(self.types.get(&pf.inner), Some(TypeDef::UnitEnum)) {
            return Err(self.err("order.payType", "not an enum"));
        }
        Ok(get)
    }
}

fn snake(variant: &str) -> String {
    let mut s = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                s.push('_');
            }
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

/// Returns the Rust source of `generated/src/validate_typed.rs` (without the header).
///
/// # Errors
/// A description of the first mismatch between the tables and the generated types.
pub fn generate_typed_module(
    layouts: &[CommandLayout],
    client_src: &str,
) -> Result<String, String> {
    let types = collect_types(client_src)?;
    let mut body = String::new();
    for layout in layouts {
        let root_ty = format!("{}Request", layout.variant);
        let name = snake(layout.variant);
        let mut g = Gen {
            types: &types,
            layout,
            out: String::new(),
            vars: 0,
        };
        g.object(&root_ty, "r", &layout.root)?;
        let walk = std::mem::take(&mut g.out);
        let pay_type = g.pay_type(&root_ty)?;
        let _ = writeln!(
            body,
            "/// Walks a `{cmd}` request (table `rules::COMMANDS[{idx}]`).\n\
             #[inline]\n\
             pub fn visit_{name}<'r, V: RequestVisitor<'r>>(r: &'r types::{root_ty}, v: &mut V) {{\n{walk}}}\n\
             /// The wire value of `order.payType` of a `{cmd}` request, if it has one.\n\
             #[allow(unused_variables)]\n\
             pub fn pay_type_{name}(r: &types::{root_ty}) -> Option<&'static str> {{ {pay_type} }}\n",
            cmd = layout.command,
            idx = layouts.iter().position(|l| l.command == layout.command).unwrap_or(0),
        );
    }
    let max_fields = layouts.iter().map(|l| l.fields.len()).max().unwrap_or(0);
    if max_fields > usize::from(u16::MAX) {
        return Err("more fields than a u16 index can address".into());
    }
    body.push_str(&format!(
        "/// The largest number of fields of one command's table.\npub const MAX_FIELDS: usize = {max_fields};\n"
    ));
    let file =
        syn::parse_file(&body).map_err(|e| format!("validate_typed.rs does not parse: {e}"))?;
    Ok(format!("{MODEL}\n{}", prettyplease::unparse(&file)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::LayoutField;

    fn layout(fields: &[(&str, &'static str, &[usize])], root: &[usize]) -> CommandLayout {
        CommandLayout {
            command: "pay",
            variant: "Pay",
            fields: fields
                .iter()
                .map(|(n, t, c)| LayoutField {
                    path: (*n).into(),
                    name: (*n).into(),
                    json_type: t,
                    children: c.to_vec(),
                })
                .collect(),
            root: root.to_vec(),
        }
    }

    const CLIENT: &str = r#"
        pub mod types {
            pub struct PayRequest {
                #[serde(rename = "aField", skip_serializing_if = "::std::option::Option::is_none")]
                pub a_field: ::std::option::Option<PayRequestAField>,
                pub b: ::std::string::String,
            }
            pub struct PayRequestAField(::std::string::String);
        }
    "#;

    #[test]
    fn walks_present_then_absent_fields() {
        let l = layout(&[("b", "string", &[]), ("aField", "string", &[])], &[0, 1]);
        let src = generate_typed_module(&[l], CLIENT).expect("generates");
        let walk = &src[src.find("pub fn visit_pay").expect("visit_pay")..];
        let a = walk
            .find("v.string::<1>(x1.as_str())")
            .expect("aField first (JSON order)");
        let b = walk.find("v.string::<0>(x2.as_str())").expect("then b");
        let absent = walk.find("if r.a_field.is_none()").expect("absent aField");
        assert!(a < b && b < absent, "{walk}");
    }

    #[test]
    fn refuses_fields_the_table_does_not_know() {
        let l = layout(&[("b", "string", &[])], &[0]);
        let e = generate_typed_module(&[l], CLIENT).expect_err("aField is not in the table");
        assert!(e.contains("aField"), "{e}");
    }

    #[test]
    fn refuses_a_json_type_mismatch() {
        let l = layout(&[("b", "object", &[]), ("aField", "string", &[])], &[0, 1]);
        let e = generate_typed_module(&[l], CLIENT).expect_err("b is a string in Rust");
        assert!(e.contains("does not match"), "{e}");
    }
}
