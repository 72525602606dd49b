//! Turning a handler's result into JSON with a bound on its nesting.
//!
//! Serializing, copying and writing JSON recurse once per level of nesting, on the stack of
//! whichever thread does it. A result nested a few thousand levels deep (a handler's own
//! output: client input is already capped at 128 levels by the parser) would overflow that
//! stack, and Rust aborts the whole process on a stack overflow: every client would lose the
//! server. So results are converted to a `Value` here, through a serializer that refuses to go
//! deeper than [`MAX_DEPTH`] levels; everything downstream (the text copy of structured
//! content, the response, the transport's writer) then recurses at most that deep.

use serde::Serialize;
use serde::ser::{self, Error as _};
use serde_json::Value;

/// How deeply a result's JSON may nest (arrays and objects). Far beyond any realistic data,
/// and a quarter of the depth at which a debug build's 2 MiB worker stack overflows. (Clients
/// built on serde_json, rmcp among them, read at most 128 levels.)
pub const MAX_DEPTH: usize = 512;

/// `serde_json::to_value`, refusing JSON nested deeper than [`MAX_DEPTH`] levels with an error
/// that says so.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, serde_json::Error> {
    to_value_within(value, MAX_DEPTH)
}

/// [`to_value`] with a depth of one's own.
pub fn to_value_within<T: Serialize + ?Sized>(value: &T, max_depth: usize) -> Result<Value, serde_json::Error> {
    value.serialize(Bounded { inner: serde_json::value::Serializer, room: max_depth, max_depth })
}

/// Whether `value` nests arrays and objects deeper than `max_depth` levels. Walks with a stack
/// of its own (at most `max_depth + 1` entries), not by recursion, so any depth is safe to ask
/// about. For JSON a handler hands over already built (a notification's params).
pub fn nests_deeper_than(value: &Value, max_depth: usize) -> bool {
    let Some(first) = Members::of(value) else { return false };
    if max_depth == 0 {
        return true;
    }
    let mut open = vec![first];
    while let Some(members) = open.last_mut() {
        match members.next() {
            Some(member) => {
                if let Some(inner) = Members::of(member) {
                    if open.len() == max_depth {
                        return true;
                    }
                    open.push(inner);
                }
            }
            None => {
                open.pop();
            }
        }
    }
    false
}

/// The members of an array or object, in a walk.
enum Members<'a> {
    Array(std::slice::Iter<'a, Value>),
    Object(serde_json::map::Values<'a>),
}

impl<'a> Members<'a> {
    fn of(value: &'a Value) -> Option<Self> {
        match value {
            Value::Array(items) => Some(Members::Array(items.iter())),
            Value::Object(map) => Some(Members::Object(map.values())),
            _ => None,
        }
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = &'a Value;
    fn next(&mut self) -> Option<&'a Value> {
        match self {
            Members::Array(items) => items.next(),
            Members::Object(values) => values.next(),
        }
    }
}

/// A serializer that lets `room` more levels of arrays and objects through.
struct Bounded<S> {
    inner: S,
    room: usize,
    max_depth: usize,
}

/// A value to serialize `room` levels further down.
struct Nested<'a, T: ?Sized> {
    value: &'a T,
    room: usize,
    max_depth: usize,
}

impl<T: Serialize + ?Sized> Serialize for Nested<'_, T> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Bounded { inner: s, room: self.room, max_depth: self.max_depth })
    }
}

/// A compound (array or object) being written, whose members get `room` levels.
struct Compound<C> {
    inner: C,
    room: usize,
    max_depth: usize,
}

impl<C> Compound<C> {
    fn nested<'a, T: ?Sized>(&self, value: &'a T) -> Nested<'a, T> {
        Nested { value, room: self.room, max_depth: self.max_depth }
    }
}

impl<S: ser::Serializer> Bounded<S> {
    /// Opens `levels` levels (1 for an array or object; 2 for serde_json's `{"Variant": [..]}`).
    fn open<C>(self, levels: usize, start: impl FnOnce(S) -> Result<C, S::Error>) -> Result<Compound<C>, S::Error> {
        let Some(room) = self.room.checked_sub(levels) else {
            return Err(S::Error::custom(format_args!("nested deeper than {} levels", self.max_depth)));
        };
        Ok(Compound { inner: start(self.inner)?, room, max_depth: self.max_depth })
    }

    fn nested<'a, T: ?Sized>(&self, value: &'a T, levels: usize) -> Result<Nested<'a, T>, S::Error> {
        match self.room.checked_sub(levels) {
            Some(room) => Ok(Nested { value, room, max_depth: self.max_depth }),
            None => Err(S::Error::custom(format_args!("nested deeper than {} levels", self.max_depth))),
        }
    }
}

macro_rules! forward_scalars {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<S::Ok, S::Error> { self.inner.$method(v) })*
    };
}

impl<S: ser::Serializer> ser::Serializer for Bounded<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<S::SerializeSeq>;
    type SerializeTuple = Compound<S::SerializeTuple>;
    type SerializeTupleStruct = Compound<S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<S::SerializeTupleVariant>;
    type SerializeMap = Compound<S::SerializeMap>;
    type SerializeStruct = Compound<S::SerializeStruct>;
    type SerializeStructVariant = Compound<S::SerializeStructVariant>;

    forward_scalars!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_none()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        let value = self.nested(value, 0)?;
        self.inner.serialize_some(&value)
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }

    fn serialize_unit_variant(self, name: &'static str, index: u32, variant: &'static str) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_variant(name, index, variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result<S::Ok, S::Error> {
        let value = self.nested(value, 0)?;
        self.inner.serialize_newtype_struct(name, &value)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        // `{"Variant": value}`: one level.
        let value = self.nested(value, 1)?;
        self.inner.serialize_newtype_variant(name, index, variant, &value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.open(1, |s| s.serialize_seq(len))
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.open(1, |s| s.serialize_tuple(len))
    }

    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.open(1, |s| s.serialize_tuple_struct(name, len))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.open(2, |s| s.serialize_tuple_variant(name, index, variant, len))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.open(1, |s| s.serialize_map(len))
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeStruct, S::Error> {
        self.open(1, |s| s.serialize_struct(name, len))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.open(2, |s| s.serialize_struct_variant(name, index, variant, len))
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

// The compounds pass each member on one level down; they differ only in names.
macro_rules! members {
    ($($trait:ident::$method:ident),*) => {$(
        impl<C: ser::$trait> ser::$trait for Compound<C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
                let value = self.nested(value);
                self.inner.$method(&value)
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    )*};
}

macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl<C: ser::$trait> ser::$trait for Compound<C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), C::Error> {
                let value = self.nested(value);
                self.inner.serialize_field(key, &value)
            }
            fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
                self.inner.skip_field(key)
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    )*};
}

members!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);
fields!(SerializeStruct, SerializeStructVariant);

impl<C: ser::SerializeMap> ser::SerializeMap for Compound<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        let key = self.nested(key);
        self.inner.serialize_key(&key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        let value = self.nested(value);
        self.inner.serialize_value(&value)
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn arrays(depth: usize) -> Value {
        let mut v = json!(0);
        for _ in 0..depth {
            v = Value::Array(vec![v]);
        }
        v
    }

    #[test]
    fn json_up_to_the_limit_converts_unchanged() {
        for v in [json!(null), json!({"a": [1, {"b": "c"}], "d": 2.5}), arrays(40)] {
            assert_eq!(to_value_within(&v, 40).unwrap(), v);
        }
        assert_eq!(to_value(&arrays(MAX_DEPTH)).unwrap(), arrays(MAX_DEPTH));
    }

    #[test]
    fn one_level_more_is_refused_with_the_limit_named() {
        let err = to_value_within(&arrays(41), 40).unwrap_err();
        assert!(err.to_string().contains("nested deeper than 40 levels"), "{err}");
        assert!(to_value(&arrays(MAX_DEPTH + 1)).is_err());
        let mut objects = json!(0);
        for _ in 0..41 {
            objects = json!({ "x": objects });
        }
        assert!(to_value_within(&objects, 40).is_err());
        assert!(to_value_within(&objects, 41).is_ok());
    }

    #[derive(Serialize)]
    enum Tree {
        Leaf(u32),
        Node(Box<Tree>),
        Pair(Box<Tree>, u8),
        Named { child: Option<Box<Tree>> },
    }

    #[test]
    fn typed_data_is_counted_as_the_json_it_becomes() {
        // Node(Leaf(1)) is {"Node": {"Leaf": 1}}: two levels.
        let two = Tree::Node(Box::new(Tree::Leaf(1)));
        assert!(to_value_within(&two, 2).is_ok());
        assert!(to_value_within(&two, 1).is_err());
        // {"Pair": [{"Leaf": 1}, 7]}: three levels.
        let three = Tree::Pair(Box::new(Tree::Leaf(1)), 7);
        assert_eq!(to_value_within(&three, 3).unwrap(), json!({"Pair": [{"Leaf": 1}, 7]}));
        assert!(to_value_within(&three, 2).is_err());
        // {"Named": {"child": null}}: two levels; Option and Box add none.
        assert!(to_value_within(&Tree::Named { child: None }, 2).is_ok());
        let map: BTreeMap<String, Vec<u8>> = [("k".to_string(), vec![1, 2])].into();
        assert_eq!(to_value_within(&map, 2).unwrap(), json!({"k": [1, 2]}));
        assert!(to_value_within(&map, 1).is_err());
    }

    #[test]
    fn nesting_is_measured_as_the_serializer_counts_it() {
        for depth in [0, 1, 2, 40] {
            assert!(!nests_deeper_than(&arrays(depth), depth), "{depth}");
            assert_eq!(
                nests_deeper_than(&arrays(depth + 1), depth),
                to_value_within(&arrays(depth + 1), depth).is_err()
            );
        }
        let wide = json!({"a": [1, 2, {"b": [[]]}], "c": {"d": 1}});
        // object, array, object, array, array: five levels.
        assert!(!nests_deeper_than(&wide, 5));
        assert!(nests_deeper_than(&wide, 4));
        assert_eq!(to_value_within(&wide, 5).unwrap(), wide);
        assert!(to_value_within(&wide, 4).is_err());
        assert!(!nests_deeper_than(&json!("text"), 0));
        let mut deep = arrays(0);
        for _ in 0..100_000 {
            deep = Value::Array(vec![deep]);
        }
        assert!(nests_deeper_than(&deep, MAX_DEPTH));
        let mut next = Some(deep);
        while let Some(Value::Array(mut items)) = next {
            next = items.pop();
        }
    }

    #[test]
    fn far_deeper_data_is_refused_without_exhausting_the_stack() {
        // 100,000 levels: plain `serde_json::to_value` overflows the stack (and aborts) here.
        let mut deep = arrays(0);
        for _ in 0..100_000 {
            deep = Value::Array(vec![deep]);
        }
        let handle = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let refused = to_value(&deep).is_err();
                // Dismantled level by level: dropping it whole would recurse 100,000 deep.
                let mut next = Some(deep);
                while let Some(Value::Array(mut items)) = next {
                    next = items.pop();
                }
                refused
            })
            .unwrap();
        assert!(handle.join().unwrap());
    }
}
