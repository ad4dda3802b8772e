//! Python's `random.Random(seed)`, for the filters ansible-core seeds with it
//! (`random(seed=…)`, `shuffle(seed=…)`): a role that picks a cron minute with
//! `59 | random(seed=inventory_hostname)` must get the minute Ansible gave it. This is
//! CPython 3.11's generator — MT19937 seeded by `init_by_array` with the seed's bits
//! (a string's UTF-8 bytes followed by their SHA-512, as one big-endian integer; an
//! integer's absolute value) — and its `randrange`, `choice` and `shuffle` on top of
//! `getrandbits`.

use minijinja::value::ValueKind;
use minijinja::{Error, Value};
use sha2::{Digest, Sha512};

use super::filters::invalid;

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// A seeded Python `Random`.
pub(crate) struct PyRandom {
    state: [u32; N],
    index: usize,
}

impl PyRandom {
    /// `Random(seed)` for a string or integer seed (what playbooks pass); other
    /// seeds are refused rather than seeded another way.
    pub(crate) fn new(seed: &Value) -> Result<PyRandom, Error> {
        let magnitude: Vec<u8> = match seed.kind() {
            ValueKind::String => {
                let text = seed.as_str().unwrap_or_default().as_bytes();
                let mut bytes = text.to_vec();
                bytes.extend_from_slice(&Sha512::digest(text));
                bytes
            }
            ValueKind::Number if seed.is_integer() => {
                let n = i128::try_from(seed.clone())
                    .map_err(|_| invalid("random: the seed is too large"))?;
                n.unsigned_abs().to_be_bytes().to_vec()
            }
            _ => {
                return Err(invalid(format!(
                    "random: a seed must be a string or an integer, not {}",
                    super::value_format::py_type_name(seed)
                )))
            }
        };
        Ok(PyRandom::from_big_endian(&magnitude))
    }

    /// `random_seed`: the integer's 32-bit words, least significant first.
    fn from_big_endian(bytes: &[u8]) -> PyRandom {
        let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        let significant = &bytes[start..];
        let mut key: Vec<u32> = significant
            .rchunks(4)
            .map(|chunk| {
                chunk
                    .iter()
                    .fold(0u32, |word, &b| (word << 8) | u32::from(b))
            })
            .collect();
        if key.is_empty() {
            key.push(0);
        }
        let mut random = PyRandom {
            state: [0; N],
            index: N,
        };
        random.init_by_array(&key);
        random
    }

    fn init_genrand(&mut self, seed: u32) {
        self.state[0] = seed;
        for i in 1..N {
            let previous = self.state[i - 1];
            self.state[i] = 1_812_433_253u32
                .wrapping_mul(previous ^ (previous >> 30))
                .wrapping_add(i as u32);
        }
        self.index = N;
    }

    fn init_by_array(&mut self, key: &[u32]) {
        self.init_genrand(19_650_218);
        let mt = &mut self.state;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            let previous = mt[i - 1];
            mt[i] = (mt[i] ^ (previous ^ (previous >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let previous = mt[i - 1];
            mt[i] = (mt[i] ^ (previous ^ (previous >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
    }

    fn next_u32(&mut self) -> u32 {
        let mag = |y: u32| if y & 1 == 1 { MATRIX_A } else { 0 };
        if self.index >= N {
            let mt = &mut self.state;
            for k in 0..N {
                let y = (mt[k] & UPPER_MASK) | (mt[(k + 1) % N] & LOWER_MASK);
                mt[k] = mt[(k + M) % N] ^ (y >> 1) ^ mag(y);
            }
            self.index = 0;
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `getrandbits(k)` for `k` up to 64.
    fn getrandbits(&mut self, k: u32) -> u64 {
        match k {
            0 => 0,
            1..=32 => u64::from(self.next_u32() >> (32 - k)),
            _ => {
                let low = u64::from(self.next_u32());
                let high = u64::from(self.next_u32() >> (64 - k));
                (high << 32) | low
            }
        }
    }

    /// `_randbelow(n)`: uniform in `0..n`, `n > 0`.
    fn below(&mut self, n: u64) -> u64 {
        let k = u64::BITS - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `randrange(start, stop, step)`.
    pub(crate) fn randrange(&mut self, start: i64, stop: i64, step: i64) -> Result<i64, Error> {
        let width = i128::from(stop) - i128::from(start);
        let step = i128::from(step);
        let n = match step {
            0 => return Err(invalid("random: zero step for randrange()")),
            s if s > 0 => (width + s - 1).div_euclid(s),
            s => (width + s + 1).div_euclid(s),
        };
        let n = u64::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
            invalid(format!(
                "random: empty range for randrange({start}, {stop})"
            ))
        })?;
        let picked = i128::from(start) + step * i128::from(self.below(n));
        i64::try_from(picked).map_err(|_| invalid("random: out of range"))
    }

    /// `choice(items)`.
    pub(crate) fn choice<'a>(&mut self, items: &'a [Value]) -> Option<&'a Value> {
        if items.is_empty() {
            return None;
        }
        items.get(self.below(items.len() as u64) as usize)
    }

    /// `shuffle(items)`, in place.
    pub(crate) fn shuffle(&mut self, items: &mut [Value]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each answer is CPython 3.11's (`random.Random(seed)`).
    #[test]
    fn follows_cpython() {
        let mut web1 = PyRandom::new(&Value::from("web1")).unwrap();
        assert_eq!(web1.randrange(0, 60, 1).unwrap(), 52);
        assert_eq!(web1.getrandbits(32), 1_405_243_075);
        let mut answer = PyRandom::new(&Value::from(42)).unwrap();
        assert_eq!(answer.randrange(0, 60, 1).unwrap(), 40);
        let letters: Vec<Value> = ["a", "b", "c", "d"].into_iter().map(Value::from).collect();
        let mut again = PyRandom::new(&Value::from("web1")).unwrap();
        assert_eq!(again.choice(&letters), Some(&Value::from("c")));
        let mut items: Vec<Value> = (1..=5).map(Value::from).collect();
        PyRandom::new(&Value::from("x"))
            .unwrap()
            .shuffle(&mut items);
        let order: Vec<i64> = items
            .into_iter()
            .map(|v| i64::try_from(v).unwrap())
            .collect();
        assert_eq!(order, [5, 2, 1, 4, 3]);
        let mut empty = PyRandom::new(&Value::from("")).unwrap();
        assert_eq!(empty.randrange(0, 100, 7).unwrap(), 49);
        assert_eq!(
            PyRandom::new(&Value::from(0)).unwrap().getrandbits(32),
            3_626_764_237
        );
        assert!(PyRandom::new(&Value::from(1.5)).is_err());
    }
}
