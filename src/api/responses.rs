//! Responses many operations share.

use poem_openapi::{ApiResponse, payload::Json, types::ToJSON};

/// Done, nothing to send back.
#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
pub enum Created<T: ToJSON> {
    /// Created.
    #[oai(status = 201)]
    Created(Json<T>),
}
