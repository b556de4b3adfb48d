//! Walkers over the typed request structs of [`crate::types`], generated from the same
//! tables as [`crate::rules`] (`openapi/provider-rules.yaml` + the spec).
//!
//! `visit_<command>(request, visitor)` reports every field of the request to a
//! [`RequestVisitor`] in the order `serde_json::to_value(request)` would present it to
//! the `serde_json::Value` validator: the present fields of each object in serialization
//! order (depth first), then that object's absent fields in the table's order. Field
//! numbers are indices into [`crate::rules::CommandSpec::fields`]. The checking itself
//! lives in `vt4g::validation`, shared with the `Value` validator.

// ---- typed walk model (copied verbatim from xtask/src/templates/typed_model.rs) ----

use crate::client::types;

/// Receives the fields of a typed request, in the order described in the module docs.
///
/// The field number `F` is a const generic parameter, so an implementation can look
/// up what it knows of the field at compile time (`const { TABLE[F as usize] }`).
pub trait RequestVisitor<'r> {
    /// A present string field (enums give their wire value).
    fn string<const F: u16>(&mut self, value: &'r str);
    /// Entering a present object or array field.
    fn enter<const F: u16>(&mut self);
    /// Leaving the object or array field entered last.
    fn leave(&mut self);
    /// Entering item `index` of the array entered last.
    fn enter_index(&mut self, index: usize);
    /// Leaving the array item entered last.
    fn leave_index(&mut self);
    /// A field of the current object that is absent.
    fn absent<const F: u16>(&mut self);
}

/// The wire value of a unit enum variant (its `#[serde(rename)]`, e.g. `"paypay"`);
/// `""` for a value that does not serialize as a unit variant.
pub fn wire_name<T: serde::Serialize + ?Sized>(value: &T) -> &'static str {
    value.serialize(WireName).unwrap_or("")
}

/// A serializer that accepts only unit variants and returns their name.
struct WireName;

/// The value was not a unit variant.
#[derive(Debug)]
struct NotUnitVariant;

impl core::fmt::Display for NotUnitVariant {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("not a unit enum variant")
    }
}

impl std::error::Error for NotUnitVariant {}

impl serde::ser::Error for NotUnitVariant {
    fn custom<T: core::fmt::Display>(_msg: T) -> Self {
        NotUnitVariant
    }
}

type No = serde::ser::Impossible<&'static str, NotUnitVariant>;

impl serde::Serializer for WireName {
    type Ok = &'static str;
    type Error = NotUnitVariant;
    type SerializeSeq = No;
    type SerializeTuple = No;
    type SerializeTupleStruct = No;
    type SerializeTupleVariant = No;
    type SerializeMap = No;
    type SerializeStruct = No;
    type SerializeStructVariant = No;

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<&'static str, NotUnitVariant> {
        Ok(variant)
    }
    fn serialize_bool(self, _v: bool) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_i8(self, _v: i8) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_i16(self, _v: i16) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_i32(self, _v: i32) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_i64(self, _v: i64) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_u8(self, _v: u8) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_u16(self, _v: u16) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_u32(self, _v: u32) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_u64(self, _v: u64) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_f32(self, _v: f32) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_f64(self, _v: f64) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_char(self, _v: char) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_str(self, _v: &str) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_none(self) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_some<T: serde::Serialize + ?Sized>(
        self,
        _value: &T,
    ) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_unit(self) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(
        self,
        _name: &'static str,
        _value: &T,
    ) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<&'static str, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<No, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_tuple(self, _len: usize) -> Result<No, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<No, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<No, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<No, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<No, NotUnitVariant> {
        Err(NotUnitVariant)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<No, NotUnitVariant> {
        Err(NotUnitVariant)
    }
}

// ---- walkers (generated from the tables and the request types) ----
