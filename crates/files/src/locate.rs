//! Where a field path stands in its source text: TOML and YAML parsed with positions, so an
//! error found after deserializing (by `config`, which keeps none) can still name a line.

use std::collections::HashMap;

use crate::diagnostic::{child, item};

/// Field paths to 1-based (line, column).
#[derive(Debug, Default)]
pub struct SourceMap {
    positions: HashMap<String, (usize, usize)>,
    /// The text of every string value, by path: to find which field a type error is about
    /// when serde could only name its table (an internally tagged enum buffers its fields).
    strings: HashMap<String, String>,
}

/// A syntax error with its position.
#[derive(Debug)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// The parser's message.
    pub message: String,
}

impl SourceMap {
    /// The position of `path`, or of its nearest ancestor that has one.
    #[must_use]
    pub fn position(&self, path: &str) -> Option<(usize, usize)> {
        let mut p = path;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return Some(*pos);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }

    /// The direct child of `parent` whose string value is `text`, if exactly one is.
    #[must_use]
    pub fn child_with_string(&self, parent: &str, text: &str) -> Option<String> {
        let mut found = self.strings.iter().filter(|(p, v)| {
            v.as_str() == text
                && p.strip_prefix(parent)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|rest| !rest.contains(['.', '[']))
        });
        let first = found.next()?;
        found.next().is_none().then(|| first.0.clone())
    }

    /// Map a TOML document.
    pub fn toml(text: &str) -> Result<Self, SyntaxError> {
        let lines = LineIndex::new(text);
        let doc = toml::de::DeTable::parse(text).map_err(|e| {
            let (line, column) = e.span().map(|s| lines.at(s.start)).unzip();
            SyntaxError {
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        let mut map = Self::default();
        map.walk_toml_table(doc.get_ref(), "", &lines);
        Ok(map)
    }

    fn walk_toml_table(&mut self, table: &toml::de::DeTable<'_>, path: &str, lines: &LineIndex) {
        for (key, value) in table {
            let p = child(path, key.get_ref());
            self.positions.insert(p.clone(), lines.at(key.span().start));
            self.walk_toml_value(value.get_ref(), &p, lines);
        }
    }

    fn walk_toml_value(&mut self, value: &toml::de::DeValue<'_>, path: &str, lines: &LineIndex) {
        match value {
            toml::de::DeValue::Table(t) => self.walk_toml_table(t, path, lines),
            toml::de::DeValue::String(text) => {
                self.strings.insert(path.to_string(), text.to_string());
            }
            toml::de::DeValue::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    let p = item(path, i);
                    self.positions.insert(p.clone(), lines.at(v.span().start));
                    self.walk_toml_value(v.get_ref(), &p, lines);
                }
            }
            _ => {}
        }
    }

    /// Map a YAML document (the first, as `config` reads).
    pub fn yaml(text: &str) -> Result<Self, SyntaxError> {
        let mut receiver = YamlReceiver::default();
        let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
        parser.load(&mut receiver, false).map_err(|e| SyntaxError {
            line: Some(e.marker().line()),
            column: Some(e.marker().col() + 1),
            message: e.info().to_string(),
        })?;
        Ok(Self {
            positions: receiver.positions,
            strings: receiver.strings,
        })
    }
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, next: usize },
}

#[derive(Default)]
struct YamlReceiver {
    stack: Vec<Frame>,
    positions: HashMap<String, (usize, usize)>,
    strings: HashMap<String, String>,
}

impl YamlReceiver {
    /// The path of a value starting now, advancing the parent past it.
    fn value_path(&mut self, pos: (usize, usize)) -> String {
        match self.stack.last_mut() {
            Some(Frame::Map { path, key }) => child(path, &key.take().unwrap_or_default()),
            Some(Frame::Seq { path, next }) => {
                let p = item(path, *next);
                *next += 1;
                self.positions.insert(p.clone(), pos);
                p
            }
            None => String::new(),
        }
    }
}

impl yaml_rust2::parser::MarkedEventReceiver for YamlReceiver {
    fn on_event(&mut self, ev: yaml_rust2::Event, mark: yaml_rust2::scanner::Marker) {
        use yaml_rust2::Event;
        let pos = (mark.line(), mark.col() + 1);
        match ev {
            Event::Scalar(text, ..) => {
                if let Some(Frame::Map {
                    path,
                    key: key @ None,
                }) = self.stack.last_mut()
                {
                    let p = child(path, &text);
                    self.positions.insert(p, pos);
                    *key = Some(text);
                } else {
                    let p = self.value_path(pos);
                    self.strings.insert(p, text);
                }
            }
            Event::Alias(_) => {
                self.value_path(pos);
            }
            Event::MappingStart(..) => {
                let path = self.value_path(pos);
                self.stack.push(Frame::Map { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.value_path(pos);
                self.stack.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

/// Byte offsets to 1-based (line, column).
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    fn at(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset);
        (line, offset - self.starts[line - 1] + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_paths_reach_nested_array_tables() {
        let text = "[[targets]]\nname = \"a\"\n\n[[targets.policies]]\nname = \"p\"\nsteps = [\n  { lower = 0 },\n  { lower = 5 },\n]\n";
        let m = SourceMap::toml(text).unwrap();
        assert_eq!(m.position("targets[0].name").map(|p| p.0), Some(2));
        assert_eq!(
            m.position("targets[0].policies[0].name").map(|p| p.0),
            Some(5)
        );
        assert_eq!(
            m.position("targets[0].policies[0].steps[1].lower")
                .map(|p| p.0),
            Some(8)
        );
        // an unknown child falls back to its parent
        assert_eq!(
            m.position("targets[0].policies[0].steps[1].nope")
                .map(|p| p.0),
            Some(8)
        );
    }

    #[test]
    fn yaml_paths_reach_sequences_of_mappings() {
        let text = "targets:\n  - name: a\n    policies:\n      - name: p\n        steps:\n          - lower: 0\n          - lower: 5\n";
        let m = SourceMap::yaml(text).unwrap();
        assert_eq!(m.position("targets[0].name").map(|p| p.0), Some(2));
        assert_eq!(
            m.position("targets[0].policies[0].name").map(|p| p.0),
            Some(4)
        );
        assert_eq!(
            m.position("targets[0].policies[0].steps[1].lower")
                .map(|p| p.0),
            Some(7)
        );
    }

    #[test]
    fn a_field_is_found_by_its_string_value_among_its_siblings_only() {
        let text =
            "[[targets]]\nname = \"750\"\n[[targets.policies]]\nname = \"p\"\ntarget = \"750\"\n";
        let m = SourceMap::toml(text).unwrap();
        assert_eq!(
            m.child_with_string("targets[0].policies[0]", "750")
                .as_deref(),
            Some("targets[0].policies[0].target")
        );
        assert_eq!(m.child_with_string("targets[0].policies[0]", "nope"), None);
        let m = SourceMap::yaml("a:\n  x: \"5\"\n  y: \"5\"\n").unwrap();
        assert_eq!(m.child_with_string("a", "5"), None, "ambiguous: no guess");
        let m = SourceMap::yaml("a:\n  x: \"5\"\n  y: 6\n").unwrap();
        assert_eq!(m.child_with_string("a", "5").as_deref(), Some("a.x"));
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let e = SourceMap::toml("[[targets]]\nname = \n").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = SourceMap::yaml("targets:\n  - name: a\n   bad: [\n").unwrap_err();
        assert!(e.line.is_some());
    }
}
