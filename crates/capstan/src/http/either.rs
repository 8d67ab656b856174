//! One of two layers, chosen when the stack is built (a layer that a
//! setting turns on or off): no enum of your own to write.

use super::component::{Decision, HttpComponent};
use crate::request::Request;

/// Either layer `A` or layer `B`; an optional layer is
/// `Either<Layer<Inner>, Inner>`.
#[derive(Debug, Clone)]
pub enum Either<A, B> {
    /// The first.
    Left(A),
    /// The second.
    Right(B),
}

impl<A: HttpComponent, B: HttpComponent> HttpComponent for Either<A, B> {
    async fn on_request(&self, request: &mut Request) -> Decision {
        match self {
            Self::Left(a) => a.on_request(request).await,
            Self::Right(b) => b.on_request(request).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Rejection;

    struct Status(u16);

    impl HttpComponent for Status {
        async fn on_request(&self, _request: &mut Request) -> Decision {
            Decision::Reject(Rejection::new(self.0, "decided"))
        }
    }

    #[tokio::test]
    async fn each_side_decides_for_itself() {
        let mut request = Request::from_head("GET / HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        for (layer, expected) in
            [(Either::Left(Status(401)), 401), (Either::Right(Status(403)), 403)]
        {
            match layer.on_request(&mut request).await {
                Decision::Reject(rejection) => assert_eq!(rejection.status(), expected),
                _ => panic!("not the side chosen"),
            }
        }
    }
}
