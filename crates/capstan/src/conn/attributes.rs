//! Typed values attached to a connection by the application.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Mutex;

type Map = HashMap<TypeId, Box<dyn Any + Send + Sync>>;

/// A map keyed by type: one value of each type per connection. Empty until
/// first used (no allocation for connections that keep nothing).
#[derive(Default)]
pub struct Attributes {
    /// Boxed and made on first insert: most connections have none.
    map: Mutex<Option<Box<Map>>>,
}

impl Attributes {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Box<Map>>> {
        self.map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores `value`, returning the previous value of that type.
    pub fn insert<T: Send + Sync + 'static>(&self, value: T) -> Option<T> {
        let mut map = self.lock();
        let old = map.get_or_insert_with(Box::default).insert(TypeId::of::<T>(), Box::new(value));
        old.and_then(|boxed| boxed.downcast().ok()).map(|boxed| *boxed)
    }

    /// A copy of the value of type `T`, if set.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.with(|value: &T| value.clone())
    }

    /// Runs `f` on the value of type `T`, if set.
    pub fn with<T: Send + Sync + 'static, R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        let map = self.lock();
        map.as_ref()?.get(&TypeId::of::<T>())?.downcast_ref::<T>().map(f)
    }

    /// Runs `f` on the value of type `T` mutably, if set.
    pub fn with_mut<T: Send + Sync + 'static, R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let mut map = self.lock();
        map.as_mut()?.get_mut(&TypeId::of::<T>())?.downcast_mut::<T>().map(f)
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Send + Sync + 'static>(&self) -> Option<T> {
        let mut map = self.lock();
        let boxed = map.as_mut()?.remove(&TypeId::of::<T>())?;
        boxed.downcast().ok().map(|boxed| *boxed)
    }
}

impl std::fmt::Debug for Attributes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.lock().as_ref().map_or(0, |map| map.len());
        f.debug_struct("Attributes").field("len", &len).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct UserName(String);

    #[test]
    fn stores_one_value_per_type() {
        let attrs = Attributes::default();
        assert_eq!(attrs.get::<UserName>(), None);
        assert_eq!(attrs.insert(UserName("ann".into())), None);
        assert_eq!(attrs.insert(7u32), None);
        assert_eq!(attrs.insert(UserName("bob".into())), Some(UserName("ann".into())));
        assert_eq!(attrs.get::<UserName>(), Some(UserName("bob".into())));
        assert_eq!(
            attrs.with_mut(|n: &mut u32| {
                *n += 1;
                *n
            }),
            Some(8)
        );
        assert_eq!(attrs.remove::<u32>(), Some(8));
        assert_eq!(attrs.get::<u32>(), None);
    }
}
