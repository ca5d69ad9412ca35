//! Closed sets of values as the API sends them and the database stores them, by one name each.

/// An API enum, each variant (with its doc comment, if any) and the name it is sent and stored by;
/// `=> Domain` also converts it to and from the domain enum of the same variants.
macro_rules! api_enum {
    ($(#[$attr:meta])* $name:ident => $domain:ty {
        $($(#[$vattr:meta])* $variant:ident = $stored:tt),+ $(,)?
    }) => {
        $crate::api::enums::api_enum!($(#[$attr])* $name { $($(#[$vattr])* $variant = $stored),+ });

        impl From<$name> for $domain {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => <$domain>::$variant),+ }
            }
        }

        impl From<$domain> for $name {
            fn from(v: $domain) -> Self {
                match v { $(<$domain>::$variant => $name::$variant),+ }
            }
        }
    };
    ($(#[$attr:meta])* $name:ident { $($(#[$vattr:meta])* $variant:ident = $stored:tt),+ $(,)? }) => {
        $(#[$attr])*
        #[derive(poem_openapi::Enum, Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($(#[$vattr])* #[oai(rename = $stored)] $variant),+ }

        impl $name {
            /// The name it is sent and stored by.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $stored),+ }
            }

            /// The value a stored name stands for.
            pub fn parse(stored: &str) -> Option<Self> {
                match stored {
                    $($stored => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use api_enum;
