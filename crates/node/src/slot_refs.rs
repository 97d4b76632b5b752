//! Weak references to the values held in a VM's slots array (`hooks.slots`).
//!
//! Every ext read or write starts by fetching its Map from its slot, and
//! `napi_get_element` on a JS array is V8's generic element lookup: about a quarter of
//! a scalar ext operation (callgrind: ~600 of ~2,700 instructions), where dereferencing
//! a reference costs ~90. The array stays the owner; these references are weak (count
//! 0), so native code still holds nothing of the user's alive (see `Refs`). A slot gets
//! its reference on its second read, so proxies that are read once (a nested Map read
//! on the way to another) do not pay for creating one.

use std::cell::RefCell;

use napi::sys::{napi_env, napi_ref, napi_value};

use crate::napi_call::napi_call;

#[derive(Clone, Copy)]
enum Entry {
    Empty,
    ReadOnce,
    Weak(napi_ref),
}

#[derive(Default)]
pub struct SlotRefs {
    entries: RefCell<Vec<Entry>>,
}

impl SlotRefs {
    /// The slot's value through its reference, when it has one.
    pub fn get(&self, env: napi_env, slot: u32) -> Option<napi_value> {
        let Some(Entry::Weak(r)) = self.entries.borrow().get(slot as usize).copied() else { return None };
        napi_call!(env, napi_get_reference_value(r)).ok().filter(|v: &napi_value| !v.is_null())
    }

    /// Records a read of `v` from the array; the second one makes the reference.
    pub fn read(&self, env: napi_env, slot: u32, v: napi_value) {
        let mut entries = self.entries.borrow_mut();
        let i = slot as usize;
        if entries.len() <= i {
            entries.resize(i + 1, Entry::Empty);
        }
        entries[i] = match entries[i] {
            Entry::Empty => Entry::ReadOnce,
            Entry::ReadOnce | Entry::Weak(_) => {
                Self::delete(env, entries[i]);
                match napi_call!(env, napi_create_reference(v, 0u32)) {
                    Ok(r) => Entry::Weak(r),
                    Err(_) => Entry::Empty,
                }
            }
        };
    }

    /// The slot's value changed: its reference (if any) no longer applies.
    pub fn forget(&self, env: napi_env, slot: u32) {
        if let Some(e) = self.entries.borrow_mut().get_mut(slot as usize) {
            Self::delete(env, *e);
            *e = Entry::Empty;
        }
    }

    /// Deletes every reference (the VM is being finalized).
    pub fn clear(&self, env: napi_env) {
        for e in self.entries.borrow_mut().drain(..) {
            Self::delete(env, e);
        }
    }

    fn delete(env: napi_env, e: Entry) {
        if let Entry::Weak(r) = e {
            let _ = napi_call!(env, napi_delete_reference(r) -> ());
        }
    }
}
