//! The order of CPython's sets, for the set filters: ansible-core answers `union`,
//! `intersect`, `difference` and `symmetric_difference` with `list(set(a) OP set(b))`,
//! whose order is the slots of CPython's hash table. For numbers (an integer hashes
//! to itself, a float by Python's fixed rule) that order is reproducible, so it is
//! reproduced here: the hashes, the table, its probing and resizing, and how each
//! operator builds its result, as CPython 3.11's setobject.c does. Other values
//! (strings hash differently in every Python process) keep the order of their first
//! appearance.

use minijinja::value::ValueKind;
use minijinja::Value;

const MIN_SIZE: usize = 8;
const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;
/// Python's hash modulus for integers (2**61 - 1).
const MODULUS: i64 = (1 << 61) - 1;

/// A number as a set holds it: `1 == 1.0` as in Python.
#[derive(Clone, Copy, Debug)]
enum Num {
    Int(i64),
    Float(f64),
}

impl PartialEq for Num {
    fn eq(&self, other: &Num) -> bool {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a == b,
            (a, b) => a.as_f64() == b.as_f64(),
        }
    }
}

impl Num {
    fn as_f64(self) -> f64 {
        match self {
            Num::Int(n) => n as f64,
            Num::Float(f) => f,
        }
    }

    fn of(value: &Value) -> Option<Num> {
        if value.kind() != ValueKind::Number {
            return None;
        }
        if value.is_integer() {
            return i64::try_from(value.clone()).ok().map(Num::Int);
        }
        f64::try_from(value.clone())
            .ok()
            .filter(|f| f.is_finite())
            .map(Num::Float)
    }

    fn value(self) -> Value {
        match self {
            Num::Int(n) => Value::from(n),
            Num::Float(f) => Value::from(f),
        }
    }

    /// Python's `hash(x)`.
    fn hash(self) -> i64 {
        let h = match self {
            Num::Int(n) => int_hash(n),
            Num::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => int_hash(f as i64),
            Num::Float(f) => float_hash(f),
        };
        if h == -1 {
            -2
        } else {
            h
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Empty,
    Dummy,
    Key(Num),
}

/// A CPython set of integers.
struct Set {
    table: Vec<Slot>,
    fill: usize,
    used: usize,
}

/// Python's hash of an integer that fits in 64 bits (before -1 becomes -2).
fn int_hash(n: i64) -> i64 {
    if n >= 0 {
        n % MODULUS
    } else {
        -((-(n as i128) % MODULUS as i128) as i64)
    }
}

/// CPython's `_Py_HashDouble` for a finite float with a fraction: the value as a
/// fraction reduced modulo 2**61 - 1 (before -1 becomes -2).
fn float_hash(value: f64) -> i64 {
    const BITS: i32 = 61;
    let modulus = MODULUS as u64;
    let (mut m, mut e) = frexp(value.abs());
    let mut x: u64 = 0;
    while m != 0.0 {
        x = ((x << 28) & modulus) | (x >> (BITS - 28));
        m *= 268_435_456.0;
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= modulus {
            x -= modulus;
        }
    }
    let e = if e >= 0 {
        e % BITS
    } else {
        BITS - 1 - ((-1 - e) % BITS)
    };
    x = ((x << e) & modulus) | (x >> (BITS - e));
    let x = x as i64;
    if value < 0.0 {
        -x
    } else {
        x
    }
}

/// C's `frexp`: `value = m * 2**e` with `0.5 <= m < 1` (for a positive normal or
/// subnormal value).
fn frexp(value: f64) -> (f64, i32) {
    if value == 0.0 {
        return (0.0, 0);
    }
    let bits = value.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    if exponent == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(value * 2f64.powi(64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exponent - 1022)
}

impl Set {
    fn new() -> Set {
        Set {
            table: vec![Slot::Empty; MIN_SIZE],
            fill: 0,
            used: 0,
        }
    }

    fn mask(&self) -> usize {
        self.table.len() - 1
    }

    /// The slots to look at for `key`, in CPython's probe order, until `stop` says so.
    fn probe(table: &[Slot], key: Num, mut stop: impl FnMut(usize) -> bool) -> usize {
        let mask = table.len() - 1;
        let mut perturb = key.hash() as u64 as usize;
        let mut i = perturb & mask;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for at in i..=i + probes {
                if stop(at) {
                    return at;
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i.wrapping_mul(5).wrapping_add(1).wrapping_add(perturb)) & mask;
        }
    }

    fn find(&self, key: Num) -> Option<usize> {
        let at = Set::probe(&self.table, key, |at| {
            matches!(self.table[at], Slot::Empty) || self.table[at] == Slot::Key(key)
        });
        (self.table[at] == Slot::Key(key)).then_some(at)
    }

    fn contains(&self, key: Num) -> bool {
        self.find(key).is_some()
    }

    /// `set_add_entry`.
    fn add(&mut self, key: Num) {
        let table = &self.table;
        let at = Set::probe(table, key, |at| {
            matches!(table[at], Slot::Empty) || table[at] == Slot::Key(key)
        });
        if self.table[at] == Slot::Key(key) {
            return;
        }
        self.table[at] = Slot::Key(key);
        self.fill += 1;
        self.used += 1;
        if self.fill * 5 >= self.mask() * 3 {
            let wanted = if self.used > 50_000 {
                self.used * 2
            } else {
                self.used * 4
            };
            self.resize(wanted);
        }
    }

    /// `set_discard_entry`: the slot becomes a dummy.
    fn discard(&mut self, key: Num) -> bool {
        match self.find(key) {
            Some(at) => {
                self.table[at] = Slot::Dummy;
                self.used -= 1;
                true
            }
            None => false,
        }
    }

    /// `set_table_resize`: the keys re-inserted clean, in slot order.
    fn resize(&mut self, min_used: usize) {
        let mut size = MIN_SIZE;
        while size <= min_used {
            size <<= 1;
        }
        let keys: Vec<Num> = self.keys().collect();
        self.table = vec![Slot::Empty; size];
        for key in &keys {
            self.insert_clean(*key);
        }
        self.fill = keys.len();
        self.used = keys.len();
    }

    /// `set_insert_clean`: a key known to be absent, into a table without dummies.
    fn insert_clean(&mut self, key: Num) {
        let table = &self.table;
        let at = Set::probe(table, key, |at| matches!(table[at], Slot::Empty));
        self.table[at] = Slot::Key(key);
    }

    fn keys(&self) -> impl Iterator<Item = Num> + '_ {
        self.table.iter().filter_map(|slot| match slot {
            Slot::Key(key) => Some(*key),
            _ => None,
        })
    }

    fn from_list(items: &[Num]) -> Set {
        let mut set = Set::new();
        for item in items {
            set.add(*item);
        }
        set
    }

    /// `set_merge(self, other)`: the update `|` and copies use.
    fn merge(&mut self, other: &Set) {
        if other.used == 0 {
            return;
        }
        if (self.fill + other.used) * 5 >= self.mask() * 3 {
            self.resize((self.used + other.used) * 2);
        }
        if self.fill == 0 && self.mask() == other.mask() && other.fill == other.used {
            self.table = other.table.clone();
            self.fill = other.fill;
            self.used = other.used;
            return;
        }
        if self.fill == 0 {
            for key in other.keys() {
                self.insert_clean(key);
            }
            self.fill = other.used;
            self.used = other.used;
            return;
        }
        for key in other.keys() {
            self.add(key);
        }
    }

    fn copy(&self) -> Set {
        let mut copy = Set::new();
        copy.merge(self);
        copy
    }
}

/// Which set operator.
#[derive(Clone, Copy)]
pub(crate) enum SetOp {
    Union,
    Intersect,
    Difference,
    Symmetric,
}

/// `list(set(a) OP set(b))` in CPython's order when every item is a finite number;
/// `None` otherwise.
pub(crate) fn python_order(a: &[Value], b: &[Value], op: SetOp) -> Option<Vec<Value>> {
    let numbers = |items: &[Value]| -> Option<Vec<Num>> { items.iter().map(Num::of).collect() };
    let (a, b) = (Set::from_list(&numbers(a)?), Set::from_list(&numbers(b)?));
    let result = match op {
        SetOp::Union => {
            let mut result = a.copy();
            result.merge(&b);
            result
        }
        SetOp::Intersect => {
            let (big, small) = if b.used > a.used { (&b, &a) } else { (&a, &b) };
            let mut result = Set::new();
            for key in small.keys().filter(|k| big.contains(*k)) {
                result.add(key);
            }
            result
        }
        SetOp::Difference if (a.used >> 2) > b.used => {
            let mut result = a.copy();
            for key in b.keys() {
                result.discard(key);
            }
            result
        }
        SetOp::Difference => {
            let mut result = Set::new();
            for key in a.keys().filter(|k| !b.contains(*k)) {
                result.add(key);
            }
            result
        }
        SetOp::Symmetric => {
            let mut result = b.copy();
            for key in a.keys() {
                if !result.discard(key) {
                    result.add(key);
                }
            }
            result
        }
    };
    Some(result.keys().map(Num::value).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(a: &[i64], b: &[i64], op: SetOp) -> Vec<i64> {
        let values = |xs: &[i64]| xs.iter().map(|x| Value::from(*x)).collect::<Vec<_>>();
        python_order(&values(a), &values(b), op)
            .unwrap()
            .into_iter()
            .map(|v| i64::try_from(v).unwrap())
            .collect()
    }

    /// CPython 3.11's `hash()` of each.
    #[test]
    fn hashes_as_cpython() {
        assert_eq!(Num::Float(2.5).hash(), 1_152_921_504_606_846_978);
        assert_eq!(Num::Float(-0.25).hash(), -576_460_752_303_423_488);
        assert_eq!(Num::Float(0.1).hash(), 230_584_300_921_369_408);
        assert_eq!(Num::Float(3.0).hash(), 3);
        assert_eq!(Num::Int(-1).hash(), -2);
        assert_eq!(Num::Float(1e300).hash(), 1_224_995_262_755_759_164);
    }

    /// Each answer is CPython 3.11's.
    #[test]
    fn orders_as_cpython() {
        let a = [1, 2, 5, 1, 3, 4, 10];
        let b = [1, 2, 3, 4, 5, 11, 99];
        assert_eq!(run(&a, &b, SetOp::Union), [1, 2, 3, 4, 5, 99, 10, 11]);
        assert_eq!(run(&a, &b, SetOp::Intersect), [1, 2, 3, 4, 5]);
        assert_eq!(run(&a, &b, SetOp::Difference), [10]);
        assert_eq!(run(&a, &b, SetOp::Symmetric), [99, 10, 11]);
        assert_eq!(run(&[3, 1, 2], &[9], SetOp::Union), [1, 2, 3, 9]);
        assert_eq!(run(&[100, 3, 17], &[], SetOp::Union), [17, 3, 100]);
        assert_eq!(run(&[16, 1, 8], &[], SetOp::Union), [16, 1, 8]);
        assert_eq!(run(&[-1, -2, 5], &[], SetOp::Union), [5, -1, -2]);
    }
}
