//! CloudWatch metric math: parsed once, checked by the policy layer, evaluated per datapoint
//! by the simulator's CloudWatch emulation.
//!
//! Per-datapoint functions are evaluated: arithmetic, comparisons, `AND`/`OR`/`NOT`, `IF`,
//! `FILL`, `ABS`, `CEIL`, `FLOOR`, `MIN`, `MAX`, `SUM`, `AVG` and `PERIOD`. Functions of a
//! whole series (`RATE`, `DIFF`, `DIFF_TIME`, `RUNNING_SUM`, `STDDEV`, `FIRST`, `LAST`,
//! `REMOVE_EMPTY`) parse, and evaluate to a missing datapoint in the emulation.

/// Functions sagescale accepts.
pub const FUNCTIONS: &[&str] = &[
    "ABS",
    "AVG",
    "CEIL",
    "DIFF",
    "DIFF_TIME",
    "FILL",
    "FIRST",
    "FLOOR",
    "IF",
    "LAST",
    "MAX",
    "MIN",
    "PERIOD",
    "RATE",
    "REMOVE_EMPTY",
    "RUNNING_SUM",
    "STDDEV",
    "SUM",
];

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `AND`
    And,
    /// `OR`
    Or,
}

impl Op {
    fn parse(t: &str) -> Option<(Self, u8)> {
        Some(match t {
            "OR" => (Self::Or, 1),
            "AND" => (Self::And, 2),
            "<" => (Self::Lt, 3),
            ">" => (Self::Gt, 3),
            "<=" => (Self::Le, 3),
            ">=" => (Self::Ge, 3),
            "==" => (Self::Eq, 3),
            "!=" => (Self::Ne, 3),
            "+" => (Self::Add, 4),
            "-" => (Self::Sub, 4),
            "*" => (Self::Mul, 5),
            "/" => (Self::Div, 5),
            "^" => (Self::Pow, 6),
            _ => return None,
        })
    }
}

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number.
    Num(f64),
    /// A metric id.
    Id(String),
    /// `-x`
    Neg(Box<Expr>),
    /// `NOT x`
    Not(Box<Expr>),
    /// `a op b`
    Bin(Op, Box<Expr>, Box<Expr>),
    /// `F(args)`
    Call(String, Vec<Expr>),
}

fn tokenize(expr: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if "<>=!".contains(c) && chars.get(i + 1) == Some(&'=') {
            out.push(format!("{c}="));
            i += 2;
        } else if "+-*/^(),<>".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else {
            return Err(format!("unexpected character `{c}` in expression"));
        }
    }
    if out.is_empty() {
        return Err("the expression is empty".into());
    }
    Ok(out)
}

/// Parse an expression; `is_id` says which names are metric ids.
pub fn parse(expr: &str, is_id: &dyn Fn(&str) -> bool) -> Result<Expr, String> {
    let tokens = tokenize(expr)?;
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
        is_id,
    };
    let e = p.expr(0)?;
    if p.pos != tokens.len() {
        return Err(format!("unexpected `{}` in expression", tokens[p.pos]));
    }
    Ok(e)
}

struct Parser<'a> {
    tokens: &'a [String],
    pos: usize,
    is_id: &'a dyn Fn(&str) -> bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(String::as_str)
    }

    /// Precedence climbing: operators binding tighter than `min` are taken here.
    fn expr(&mut self, min: u8) -> Result<Expr, String> {
        let mut left = self.operand()?;
        while let Some((op, prec)) = self.peek().and_then(Op::parse) {
            if prec <= min {
                break;
            }
            self.pos += 1;
            // `^` is right-associative; the rest associate left.
            let right = self.expr(if op == Op::Pow { prec - 1 } else { prec })?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn operand(&mut self) -> Result<Expr, String> {
        let Some(tok) = self.peek().map(str::to_string) else {
            return Err("the expression ends where an operand was expected".into());
        };
        self.pos += 1;
        match tok.as_str() {
            "(" => {
                let e = self.expr(0)?;
                self.expect(")")?;
                Ok(e)
            }
            "-" => Ok(Expr::Neg(Box::new(self.expr(5)?))),
            "NOT" => Ok(Expr::Not(Box::new(self.expr(2)?))),
            t if t.parse::<f64>().is_ok() => Ok(Expr::Num(t.parse().unwrap_or_default())),
            t if self.peek() == Some("(") => {
                if !FUNCTIONS.contains(&t) {
                    return Err(format!(
                        "unknown metric-math function `{t}`; known: {}",
                        FUNCTIONS.join(", ")
                    ));
                }
                self.pos += 1;
                let mut args = Vec::new();
                if self.peek() != Some(")") {
                    args.push(self.expr(0)?);
                    while self.peek() == Some(",") {
                        self.pos += 1;
                        args.push(self.expr(0)?);
                    }
                }
                self.expect(")")?;
                Ok(Expr::Call(t.to_string(), args))
            }
            t if (self.is_id)(t) => Ok(Expr::Id(t.to_string())),
            t => Err(format!("`{t}` is not one of this expression's metrics")),
        }
    }

    fn expect(&mut self, want: &str) -> Result<(), String> {
        if self.peek() == Some(want) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected `{want}` in expression"))
        }
    }
}

impl Expr {
    /// The value at one datapoint, reading inputs through `input`; `None` where the result is
    /// missing (a missing input, division by zero, a series function).
    #[must_use]
    pub fn eval(&self, input: &dyn Fn(&str) -> Option<f64>, period_s: f64) -> Option<f64> {
        let v = match self {
            Self::Num(n) => Some(*n),
            Self::Id(id) => input(id),
            Self::Neg(e) => e.eval(input, period_s).map(|x| -x),
            Self::Not(e) => e
                .eval(input, period_s)
                .map(|x| f64::from(u8::from(x == 0.0))),
            Self::Bin(op, a, b) => {
                let (a, b) = (a.eval(input, period_s)?, b.eval(input, period_s)?);
                let truth = |c: bool| f64::from(u8::from(c));
                Some(match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                    Op::Pow => a.powf(b),
                    Op::Lt => truth(a < b),
                    Op::Gt => truth(a > b),
                    Op::Le => truth(a <= b),
                    Op::Ge => truth(a >= b),
                    Op::Eq => truth(a == b),
                    Op::Ne => truth(a != b),
                    Op::And => truth(a != 0.0 && b != 0.0),
                    Op::Or => truth(a != 0.0 || b != 0.0),
                })
            }
            Self::Call(f, args) => {
                let arg = |i: usize| args.get(i).and_then(|e| e.eval(input, period_s));
                let present = || args.iter().filter_map(|e| e.eval(input, period_s));
                match f.as_str() {
                    "IF" => match arg(0)? != 0.0 {
                        true => arg(1),
                        false => arg(2),
                    },
                    "FILL" => arg(0).or_else(|| arg(1)),
                    "ABS" => arg(0).map(f64::abs),
                    "CEIL" => arg(0).map(f64::ceil),
                    "FLOOR" => arg(0).map(f64::floor),
                    "MIN" => present().reduce(f64::min),
                    "MAX" => present().reduce(f64::max),
                    "SUM" => present().reduce(|a, b| a + b),
                    "AVG" => {
                        let v: Vec<f64> = present().collect();
                        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
                    }
                    "PERIOD" => Some(period_s),
                    _ => None,
                }
            }
        };
        v.filter(|x| x.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(x: &str) -> bool {
        matches!(x, "m1" | "m2" | "err" | "inv")
    }

    fn ev(e: &str, m1: Option<f64>, m2: Option<f64>) -> Option<f64> {
        let expr = parse(e, &ids).unwrap_or_else(|err| panic!("{err}"));
        expr.eval(
            &|id| match id {
                "m1" => m1,
                "m2" => m2,
                _ => None,
            },
            60.0,
        )
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(ev("1 + 2 * 3", None, None), Some(7.0));
        assert_eq!(ev("(1 + 2) * 3", None, None), Some(9.0));
        assert_eq!(ev("2 ^ 3 ^ 2", None, None), Some(512.0));
        assert_eq!(ev("10 - 4 - 3", None, None), Some(3.0));
        assert_eq!(ev("-2 ^ 2", None, None), Some(-4.0));
        assert_eq!(ev("1 < 2 AND 3 > 4 OR 1", None, None), Some(1.0));
        assert_eq!(ev("NOT 0", None, None), Some(1.0));
    }

    #[test]
    fn metrics_functions_and_missing_data() {
        assert_eq!(ev("100 * m1 / m2", Some(2.0), Some(50.0)), Some(4.0));
        assert_eq!(
            ev("m1 / m2", Some(2.0), Some(0.0)),
            None,
            "division by zero is missing"
        );
        assert_eq!(ev("m1 + m2", Some(2.0), None), None);
        assert_eq!(ev("FILL(m2, 0) + m1", Some(2.0), None), Some(2.0));
        assert_eq!(
            ev("IF(m2 > 0, m1 / m2, 0)", Some(3.0), Some(0.0)),
            Some(0.0)
        );
        assert_eq!(ev("MAX(m1, m2, 7)", Some(3.0), None), Some(7.0));
        assert_eq!(ev("AVG(m1, m2)", Some(3.0), Some(5.0)), Some(4.0));
        assert_eq!(ev("m1 / PERIOD(m1)", Some(120.0), None), Some(2.0));
        assert_eq!(ev("RATE(m1)", Some(1.0), None), None);
    }

    #[test]
    fn bad_expressions_say_why() {
        assert!(parse("m1 / m3", &ids).unwrap_err().contains("`m3`"));
        assert!(parse("BOGUS(m1)", &ids)
            .unwrap_err()
            .contains("unknown metric-math function"));
        for bad in ["(m1 + m2", "m1 +", "m1 m2", "m1 $ 2", ""] {
            assert!(parse(bad, &ids).is_err(), "{bad}");
        }
    }
}
