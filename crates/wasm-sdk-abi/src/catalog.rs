//! How a module's port binds on a device's service catalog: the rule the
//! firmware runs when a module is installed into a free slot, and the one
//! the desktop runs on a catalog file before anything is uploaded.
//!
//! A device's catalog names services, each one way ([`Direction`]) and of
//! one message type. A module's port binds:
//!
//! - a topic, when its name says so ([`topic_of`]): topics connect guests
//!   with each other, and their rules (one type, one publisher) depend on
//!   the other guests, so the device's bus applies them;
//! - else the service of its name, of its direction ([`bind`]). Its type is
//!   the host's load check's, with the catalog's services as the channels
//!   ([`check_channels`](crate::schema::check_channels)): a host checks
//!   types first, then binds.

use crate::manifest::{PortKind, topic_of};

/// Which way a service's messages go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The firmware sends, guests receive: a guest binds it with an input.
    Provides,
    /// Guests send, the firmware receives: a guest binds it with an output.
    Takes,
}

impl Direction {
    /// The kind of guest port that binds a service of this direction.
    pub const fn port_kind(self) -> PortKind {
        match self {
            Direction::Provides => PortKind::Input,
            Direction::Takes => PortKind::Output,
        }
    }

    /// `"provides"` or `"takes"`: the guest group's and the catalog file's
    /// word.
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Provides => "provides",
            Direction::Takes => "takes",
        }
    }

    /// The direction [`as_str`](Self::as_str) names.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "provides" => Some(Direction::Provides),
            "takes" => Some(Direction::Takes),
            _ => None,
        }
    }
}

/// What a port binds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bind<'a, S> {
    /// A service of the catalog.
    Service(S),
    /// The topic of this name.
    Topic(&'a str),
}

/// Why a port binds nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No service has the port's name (and the port is not a topic).
    NoService,
    /// The service of the port's name goes the other way.
    Direction(Direction),
}

/// Binds the port `port` of `kind`: a topic, or the service `find` gives
/// for its name, with that service's direction.
///
/// # Errors
///
/// A [`Refusal`].
pub fn bind<'a, S>(
    kind: PortKind,
    port: &'a str,
    find: impl FnOnce(&str) -> Option<(S, Direction)>,
) -> Result<Bind<'a, S>, Refusal> {
    if let Some(topic) = topic_of(port) {
        return Ok(Bind::Topic(topic));
    }
    let (service, direction) = find(port).ok_or(Refusal::NoService)?;
    if direction.port_kind() != kind {
        return Err(Refusal::Direction(direction));
    }
    Ok(Bind::Service(service))
}

impl Refusal {
    /// What is wrong with `kind` port `port`, as a static text (no
    /// `core::fmt`), for a device's log and its SMP error's reason.
    pub const fn as_str(self, kind: PortKind) -> &'static str {
        match (self, kind) {
            (Refusal::NoService, PortKind::Input) => {
                "the module declares an input the firmware has no service for"
            }
            (Refusal::NoService, PortKind::Output) => {
                "the module declares an output the firmware has no service for"
            }
            (Refusal::Direction(_), PortKind::Input) => {
                "the module declares an input for a service the firmware takes"
            }
            (Refusal::Direction(_), PortKind::Output) => {
                "the module declares an output for a service the firmware provides"
            }
        }
    }

    /// Writes the refusal of `kind` port `port` in full, with what to do.
    ///
    /// # Errors
    ///
    /// The formatter's.
    pub fn write(
        self,
        f: &mut core::fmt::Formatter<'_>,
        kind: PortKind,
        port: &str,
    ) -> core::fmt::Result {
        let kind = kind.as_str();
        match self {
            Refusal::NoService => write!(
                f,
                "{kind} `{port}`: the firmware offers no service `{port}` (mark a port between guests `#[topic]`)"
            ),
            Refusal::Direction(direction) => write!(
                f,
                "{kind} `{port}`: the firmware's service `{port}` {} messages, so it binds {}",
                direction.as_str(),
                match direction {
                    Direction::Provides => "an input",
                    Direction::Takes => "an output",
                }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(name: &str) -> Option<(&'static str, Direction)> {
        match name {
            "temperature" => Some(("temperature", Direction::Provides)),
            "alarm" => Some(("alarm", Direction::Takes)),
            _ => None,
        }
    }

    #[test]
    fn a_port_binds_its_service_of_its_direction_or_a_topic() {
        use PortKind::{Input, Output};
        assert_eq!(bind(Input, "temperature", catalog), Ok(Bind::Service("temperature")));
        assert_eq!(bind(Output, "alarm", catalog), Ok(Bind::Service("alarm")));
        assert_eq!(bind(Output, "topic/smoothed", catalog), Ok(Bind::Topic("smoothed")));
        assert_eq!(bind(Input, "humidity", catalog), Err(Refusal::NoService));
        assert_eq!(
            bind(Output, "temperature", catalog),
            Err(Refusal::Direction(Direction::Provides))
        );
        assert_eq!(bind(Input, "alarm", catalog), Err(Refusal::Direction(Direction::Takes)));
        // `topic/` alone names no topic: it is a plain port.
        assert_eq!(bind(Input, "topic/", catalog), Err(Refusal::NoService));
    }
}
