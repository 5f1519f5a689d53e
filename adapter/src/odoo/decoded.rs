//! Decoding a read record by record. Odoo holds data odoo-mesh did not write and cannot vet — a
//! quantity beyond what a decimal holds, a value of another type than its field's — so a record
//! that cannot be decoded must never take down the list, page or watch it was read with: it is
//! left out, and reported once per record and field (a log line naming the model, the record, the
//! field and the value to correct in Odoo, and `odoo_mesh_undecodable_records_total`), however
//! often it is read again. Every per-model decoder of a batch goes through `decode_each`.

use std::collections::{HashMap, HashSet};

use parking_lot::Mutex;

use super::{DecodeError, Model, Record, Row};
use crate::OdooError;

/// How many unreadable fields of records are remembered as reported; past that the memory starts
/// afresh (each is then reported once more), so a flood of odd records cannot grow it for ever.
const REMEMBERED: usize = 10_000;

/// A batch of records, decoded one by one.
#[derive(Debug)]
pub(crate) struct Decoded<T> {
    /// The records that could be decoded, in the order read.
    pub(crate) items: Vec<T>,
    /// Those that could not, and why (already reported).
    pub(crate) unreadable: Vec<DecodeError>,
    /// The id of the last record read, decoded or not: a page after it starts past the records
    /// left out, so none is read twice or skipped over.
    pub(crate) last_id: Option<i64>,
}

impl<T> Decoded<T> {
    /// The one record read by its id: `None` when Odoo has no such record.
    pub(crate) fn single(mut self) -> Result<Option<T>, DecodeError> {
        match self.unreadable.pop() {
            Some(error) => Err(error),
            None => Ok(self.items.pop()),
        }
    }

    /// How many records were read, decoded or not.
    pub(crate) fn read(&self) -> usize {
        self.items.len() + self.unreadable.len()
    }

    pub(crate) fn map<U>(self, f: impl FnMut(T) -> U) -> Decoded<U> {
        Decoded { items: self.items.into_iter().map(f).collect(), unreadable: self.unreadable, last_id: self.last_id }
    }

    /// Leaves out the items a part of which (a line of an order, a move of a transfer) could not
    /// be decoded: without it the item would be wrong, not merely smaller, and a caller is better
    /// served by a record reported missing than by one silently missing a line. `parts` are the
    /// parts' failures, each naming the item it is `part_of`; `id` names an item.
    pub(crate) fn without_unreadable_parts(mut self, parts: &[DecodeError], id: impl Fn(&T) -> i64) -> Self {
        let broken: HashMap<i64, &DecodeError> =
            parts.iter().filter_map(|part| Some((part.part_of?.1, part))).collect();
        if broken.is_empty() {
            return self;
        }
        let (bad, good): (Vec<T>, Vec<T>) = self.items.into_iter().partition(|item| broken.contains_key(&id(item)));
        self.unreadable.extend(bad.iter().filter_map(|item| broken.get(&id(item)).map(|e| (*e).clone())));
        self.items = good;
        self
    }
}

/// The records found unreadable so far, so each is reported once and not on every read or poll.
#[derive(Debug, Default)]
pub(crate) struct Unreadable {
    reported: Mutex<HashSet<(&'static str, i64, &'static str)>>,
}

impl Unreadable {
    /// Decodes each of `records` of `model` with `decode`, leaving out (and reporting) those it
    /// cannot decode. A record without an id, or without a field that was asked for, is no odd
    /// record of Odoo's but a wrong answer or odoo-mesh's own mistake: it fails the whole batch.
    pub(crate) fn decode_each<T>(
        &self,
        model: Model,
        records: &[Record],
        mut decode: impl FnMut(&Row<'_>) -> Result<T, DecodeError>,
    ) -> Result<Decoded<T>, OdooError> {
        let mut decoded = Decoded { items: Vec::with_capacity(records.len()), unreadable: Vec::new(), last_id: None };
        for record in records {
            let row = Row::new(model, record).map_err(|e| OdooError::Protocol { message: e.to_string() })?;
            decoded.last_id = Some(row.id());
            match decode(&row) {
                Ok(item) => decoded.items.push(item),
                Err(error) if error.is_odd_value() => decoded.unreadable.push(error),
                Err(error) => return Err(OdooError::Protocol { message: error.to_string() }),
            }
        }
        self.report(&decoded.unreadable);
        Ok(decoded)
    }

    /// Logs and counts the failures not reported before; returns how many were new.
    fn report(&self, errors: &[DecodeError]) -> usize {
        if errors.is_empty() {
            return 0;
        }
        let mut reported = self.reported.lock();
        let mut new = 0;
        for error in errors {
            if reported.len() >= REMEMBERED {
                reported.clear();
            }
            if !reported.insert((error.model, error.id, error.field)) {
                continue;
            }
            new += 1;
            metrics::counter!("odoo_mesh_undecodable_records_total", "model" => error.model, "field" => error.field)
                .increment(1);
            tracing::warn!(
                model = error.model,
                id = error.id,
                field = error.field,
                found = error.found.as_deref().unwrap_or_default(),
                expected = error.expected,
                part_of = error.part_of.map(|(model, id)| format!("{model}/{id}")),
                "odoo holds a record odoo-mesh cannot decode: it is left out of lists, pages and watches, \
                 and reading it alone is refused, until the value is corrected in odoo"
            );
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal::Decimal;
    use serde_json::{Value, json};

    use super::*;
    use crate::odoo::Field;

    const THING: Model = Model::new("x.thing", "base");
    const QUANTITY: Field = THING.field("quantity");
    const COUNT: Field = THING.field("count");
    const NAME: Field = THING.field("name");
    const PARTNER: Field = THING.field("partner_id");
    const CHANGED: Field = THING.field("write_date");
    const DONE: Field = THING.field("done");
    const LINES: Field = THING.field("line_ids");
    /// The fields in the order `decode` reads them: the first odd one is the one reported.
    const FIELDS: [Field; 7] = [QUANTITY, COUNT, NAME, PARTNER, CHANGED, DONE, LINES];

    /// A record decoded with every kind of field the model layer reads.
    fn decode(row: &Row<'_>) -> Result<(i64, Decimal), DecodeError> {
        let quantity = row.decimal(&QUANTITY)?;
        row.integer(&COUNT)?;
        row.text(&NAME)?;
        row.many2one(&PARTNER)?;
        row.datetime(&CHANGED)?;
        row.boolean(&DONE)?;
        row.ids(&LINES)?;
        Ok((row.id(), quantity))
    }

    /// A value Odoo could send for the field, `false` (empty) included.
    fn good(field: usize) -> BoxedStrategy<Value> {
        let empty = Just(json!(false));
        match field {
            0 => prop_oneof![
                empty,
                (-1e15f64..1e15).prop_map(|q| json!(q)),
                any::<i32>().prop_map(|q| json!(q)),
                // Below a decimal's 28 places: rounded to zero, not refused.
                (-1e-29f64..1e-29).prop_map(|q| json!(q)),
            ]
            .boxed(),
            1 => prop_oneof![empty, any::<i64>().prop_map(|n| json!(n))].boxed(),
            2 => prop_oneof![empty, ".{0,20}".prop_map(|s| json!(s))].boxed(),
            3 => prop_oneof![empty, (1..i64::MAX, ".{0,10}").prop_map(|(id, name)| json!([id, name]))].boxed(),
            4 => prop_oneof![
                empty,
                (1970..9999i32, 1..=12u8, 1..=28u8, 0..24u8, 0..60u8, 0..60u8)
                    .prop_map(|(y, mo, d, h, mi, s)| { json!(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")) }),
            ]
            .boxed(),
            5 => any::<bool>().prop_map(|b| json!(b)).boxed(),
            _ => prop_oneof![empty, prop::collection::vec(any::<i64>(), 0..4).prop_map(|ids| json!(ids))].boxed(),
        }
    }

    /// A value odoo-mesh cannot decode as the field: out of range, of another JSON type, malformed.
    fn hostile(field: usize) -> BoxedStrategy<Value> {
        let wrong_type = prop_oneof![Just(json!(true)), Just(json!({"x": 1})), Just(json!([[1]]))];
        match field {
            0 => prop_oneof![
                (8e28f64..f64::MAX).prop_map(|q| json!(q)),
                (-f64::MAX..-8e28f64).prop_map(|q| json!(q)),
                prop::sample::select(vec!["1e30", "NaN", "inf", "12", ""]).prop_map(|s| json!(s)),
                wrong_type,
            ]
            .boxed(),
            1 => prop_oneof![
                any::<i32>().prop_map(|n| json!(f64::from(n) + 0.5)),
                Just(json!(u64::MAX)),
                Just(json!(1e30)),
                Just(json!("12")),
                wrong_type,
            ]
            .boxed(),
            2 => prop_oneof![any::<i64>().prop_map(|n| json!(n)), Just(json!(1.5)), wrong_type].boxed(),
            3 => prop_oneof![
                Just(json!("oops")),
                Just(json!(12)),
                Just(json!([])),
                Just(json!(["12", "Name"])),
                Just(json!([1.5, "Name"])),
                Just(json!([1e30, "Name"])),
                wrong_type,
            ]
            .boxed(),
            4 => prop_oneof![
                prop::sample::select(vec![
                    "2024-13-01 00:00:00",
                    "2024-02-30 10:00:00",
                    "2024-01-01 25:00:00",
                    "10000-01-01 00:00:00",
                    "yesterday",
                ])
                .prop_map(|s| json!(s)),
                Just(json!(1_700_000_000)),
                wrong_type,
            ]
            .boxed(),
            5 => prop_oneof![Just(json!(1)), Just(json!("yes")), Just(json!([]))].boxed(),
            _ => prop_oneof![
                Just(json!("1,2")),
                Just(json!([1, "x"])),
                Just(json!([1.5])),
                Just(json!(7)),
                Just(json!({"ids": [1]})),
            ]
            .boxed(),
        }
    }

    /// A record's field values, and which of them are hostile.
    fn record() -> impl Strategy<Value = (Vec<Value>, Vec<bool>)> {
        let fields: Vec<_> = (0..FIELDS.len()).map(|f| (good(f), hostile(f), prop::bool::weighted(0.15))).collect();
        fields.prop_map(|values| {
            let odd: Vec<bool> = values.iter().map(|(_, _, odd)| *odd).collect();
            let chosen = values.into_iter().map(|(good, hostile, odd)| if odd { hostile } else { good }).collect();
            (chosen, odd)
        })
    }

    fn as_record(id: i64, values: &[Value]) -> Record {
        let mut record = Record::new();
        record.insert("id".into(), json!(id));
        for (field, value) in FIELDS.iter().zip(values) {
            record.insert(field.name.into(), value.clone());
        }
        record
    }

    proptest! {
        /// A batch decodes to exactly its good records, in order, and reports exactly the bad
        /// ones, each by the first field odoo-mesh cannot decode — once, however often it is read.
        #[test]
        fn a_batch_keeps_the_good_records_and_reports_each_bad_one_once(
            batch in prop::collection::vec(record(), 0..24),
        ) {
            let records: Vec<Record> =
                batch.iter().enumerate().map(|(i, (values, _))| as_record(i as i64 * 3 + 1, values)).collect();
            let unreadable = Unreadable::default();
            let decoded = unreadable.decode_each(THING, &records, decode).expect("no batch failure");

            let good: Vec<i64> =
                batch.iter().enumerate().filter(|(_, (_, odd))| !odd.contains(&true)).map(|(i, _)| i as i64 * 3 + 1).collect();
            let bad: Vec<(i64, &str)> = batch
                .iter()
                .enumerate()
                .filter_map(|(i, (_, odd))| Some((i as i64 * 3 + 1, FIELDS[odd.iter().position(|o| *o)?].name)))
                .collect();
            prop_assert_eq!(decoded.items.iter().map(|(id, _)| *id).collect::<Vec<_>>(), good);
            prop_assert_eq!(decoded.unreadable.iter().map(|e| (e.id, e.field)).collect::<Vec<_>>(), bad.clone());
            prop_assert!(decoded.unreadable.iter().all(|e| e.model == THING.name && e.found.is_some()));
            prop_assert_eq!(decoded.last_id, records.last().and_then(|r| r["id"].as_i64()));
            prop_assert_eq!(decoded.read(), records.len());

            // Read again (the next page, the next poll): nothing is reported twice.
            let again = unreadable.decode_each(THING, &records, decode).expect("no batch failure");
            prop_assert_eq!(unreadable.report(&again.unreadable), 0);
            prop_assert_eq!(unreadable.reported.lock().len(), bad.len());
        }
    }

    #[test]
    fn a_field_missing_from_the_answer_or_an_id_fails_the_batch_as_odoo_meshs_mistake() {
        let good =
            as_record(1, &[json!(1.0), json!(1), json!("a"), json!(false), json!(false), json!(true), json!([])]);
        let mut lacking = good.clone();
        lacking.remove(NAME.name);
        let mut anonymous = good.clone();
        anonymous.remove("id");
        for records in [vec![good.clone(), lacking], vec![anonymous, good]] {
            let outcome = Unreadable::default().decode_each(THING, &records, decode);
            assert!(matches!(outcome, Err(OdooError::Protocol { .. })), "{outcome:?}");
        }
    }

    #[test]
    fn an_item_with_an_undecodable_part_is_left_out_with_the_parts_reason() {
        let part = DecodeError {
            model: "x.line",
            id: 9,
            field: "quantity",
            expected: "a number",
            found: Some("1e+30".into()),
            part_of: Some(("x.thing", 2)),
        };
        let decoded = Decoded { items: vec![1, 2, 3], unreadable: Vec::new(), last_id: Some(3) };
        let kept = decoded.without_unreadable_parts(std::slice::from_ref(&part), |id| *id);
        assert_eq!(kept.items, [1, 3]);
        assert_eq!(kept.unreadable, [part]);
        assert_eq!(kept.last_id, Some(3), "paging goes on after the last record read");
        assert_eq!(kept.single().err().map(|e| e.id), Some(9), "reading it alone names the odd part");
    }
}
