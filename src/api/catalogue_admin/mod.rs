//! `/admin/brands`, `/admin/stores`, `/admin/substances`, `/admin/products`, `/admin/packages` and
//! store prices: the supplement catalogue as admins edit it. Admins only; every request is one
//! transaction with its audit entry, and names every invalid field at once.

pub mod dto;

use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, param::Query, payload::Json};
use uuid::Uuid;

use super::{
    ApiTags, AppState,
    catalogue::{Brand, Product, product_card},
    error::ApiError,
    language::{LanguageTag, Negotiation},
    responses::{Created, Done},
    security::{AdminAuth, ClientInfo},
};
use crate::service::catalogue_admin as service;
use dto::{
    AdminPackage, AdminStore, AdminSubstance, BrandInput, PackageInput, PriceInput, PriceSaved,
    ProductInput, StoreInput, SubstanceInput,
};

#[derive(Default)]
pub struct CatalogueAdminApi;

#[OpenApi(prefix_path = "/admin", tag = "ApiTags::Admin")]
impl CatalogueAdminApi {
    /// Create a brand
    ///
    /// 409 when the slug is taken. Admins.
    #[oai(path = "/brands", method = "post", operation_id = "createBrand")]
    async fn create_brand(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        body: Json<BrandInput>,
    ) -> Result<Created<Brand>, ApiError> {
        let fields = body.0.parse()?;
        let brand = service::create_brand(&state, client.actor(auth.0.user), &fields).await?;
        Ok(Created::Created(Json(brand.into())))
    }

    /// Replace a brand
    ///
    /// Admins.
    #[oai(path = "/brands/:id", method = "put", operation_id = "updateBrand")]
    async fn update_brand(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<BrandInput>,
    ) -> Result<Json<Brand>, ApiError> {
        let fields = body.0.parse()?;
        let brand = service::update_brand(&state, client.actor(auth.0.user), id.0, &fields).await?;
        Ok(Json(brand.into()))
    }

    /// Delete a brand
    ///
    /// 409 while products are sold under it. Admins.
    #[oai(path = "/brands/:id", method = "delete", operation_id = "deleteBrand")]
    async fn delete_brand(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        service::delete_brand(&state, client.actor(auth.0.user), id.0).await?;
        Ok(Done::NoContent)
    }

    /// Stores, for admins
    ///
    /// Every store, inactive ones too, with both descriptions and whether a price feed is set up
    /// (its address redacted). Admins.
    #[oai(path = "/stores", method = "get", operation_id = "listAdminStores")]
    async fn stores(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
    ) -> Result<Json<Vec<AdminStore>>, ApiError> {
        let stores = service::stores(&state).await?;
        Ok(Json(stores.into_iter().map(Into::into).collect()))
    }

    /// Create a store
    ///
    /// 409 when the slug is taken. Admins.
    #[oai(path = "/stores", method = "post", operation_id = "createStore")]
    async fn create_store(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        body: Json<StoreInput>,
    ) -> Result<Created<AdminStore>, ApiError> {
        let fields = body.0.parse()?;
        let store = service::create_store(&state, client.actor(auth.0.user), &fields).await?;
        Ok(Created::Created(Json(store.into())))
    }

    /// Replace a store
    ///
    /// Sending back the redacted `feed_url` a read showed keeps the stored address. Admins.
    #[oai(path = "/stores/:id", method = "put", operation_id = "updateStore")]
    async fn update_store(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<StoreInput>,
    ) -> Result<Json<AdminStore>, ApiError> {
        let fields = body.0.parse()?;
        let store = service::update_store(&state, client.actor(auth.0.user), id.0, fields).await?;
        Ok(Json(store.into()))
    }

    /// Delete a store
    ///
    /// Only a store that never had a price: otherwise 409 (set `is_active` to false to hide it and
    /// keep its price history). Admins.
    #[oai(path = "/stores/:id", method = "delete", operation_id = "deleteStore")]
    async fn delete_store(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        service::delete_store(&state, client.actor(auth.0.user), id.0).await?;
        Ok(Done::NoContent)
    }

    /// Active substances
    ///
    /// Every substance with its unit, evidence grade and names in every language, by code. Admins.
    #[oai(path = "/substances", method = "get", operation_id = "listSubstances")]
    async fn list_substances(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
    ) -> Result<Json<Vec<AdminSubstance>>, ApiError> {
        let rows = service::substances(&state).await?;
        Ok(Json(
            rows.into_iter()
                .map(|(row, names)| AdminSubstance::new(row, names))
                .collect::<Result<_, _>>()?,
        ))
    }

    /// Create an active substance
    ///
    /// 409 when the code is taken. Admins.
    #[oai(
        path = "/substances",
        method = "post",
        operation_id = "createSubstance"
    )]
    async fn create_substance(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        body: Json<SubstanceInput>,
    ) -> Result<Created<AdminSubstance>, ApiError> {
        let fields = body.0.parse()?;
        let row = service::create_substance(&state, client.actor(auth.0.user), &fields).await?;
        Ok(Created::Created(Json(AdminSubstance::new(
            row,
            fields.names,
        )?)))
    }

    /// Replace an active substance
    ///
    /// With all its names. Admins.
    #[oai(
        path = "/substances/:id",
        method = "put",
        operation_id = "updateSubstance"
    )]
    async fn update_substance(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<SubstanceInput>,
    ) -> Result<Json<AdminSubstance>, ApiError> {
        let fields = body.0.parse()?;
        let row =
            service::update_substance(&state, client.actor(auth.0.user), id.0, &fields).await?;
        Ok(Json(AdminSubstance::new(row, fields.names)?))
    }

    /// Delete an active substance
    ///
    /// 409 while a product contains it; its contraindication rules go with it. Admins.
    #[oai(
        path = "/substances/:id",
        method = "delete",
        operation_id = "deleteSubstance"
    )]
    async fn delete_substance(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        service::delete_substance(&state, client.actor(auth.0.user), id.0).await?;
        Ok(Done::NoContent)
    }

    /// Create a product
    ///
    /// With its names, substances and allergens; answers with the product's card as
    /// `GET /products/{id}` shows it (in `lang`). Admins.
    #[oai(path = "/products", method = "post", operation_id = "createProduct")]
    async fn create_product(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        lang: Query<Option<LanguageTag>>,
        body: Json<ProductInput>,
    ) -> Result<Created<Product>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?.as_str();
        let id = service::create_product(&state, client.actor(auth.0.user), body.0).await?;
        Ok(Created::Created(Json(
            product_card(&state, id, locale).await?,
        )))
    }

    /// A product to edit
    ///
    /// The product as `PUT /admin/products/{id}` takes it: every field, its names in every
    /// language, substances and allergens. Admins.
    #[oai(
        path = "/products/:id",
        method = "get",
        operation_id = "getEditableProduct"
    )]
    async fn editable_product(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Json<ProductInput>, ApiError> {
        let p = service::editable_product(&state, id.0).await?;
        Ok(Json(ProductInput::editable(p)?))
    }

    /// Replace a product
    ///
    /// With all its names, substances and allergens (its packages stay). Admins.
    #[oai(path = "/products/:id", method = "put", operation_id = "updateProduct")]
    #[allow(clippy::too_many_arguments)]
    async fn update_product(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        lang: Query<Option<LanguageTag>>,
        body: Json<ProductInput>,
    ) -> Result<Json<Product>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?.as_str();
        service::update_product(&state, client.actor(auth.0.user), id.0, body.0).await?;
        Ok(Json(product_card(&state, id.0, locale).await?))
    }

    /// Delete a product
    ///
    /// With its packages; 409 when any package has, or had, a price. Admins.
    #[oai(
        path = "/products/:id",
        method = "delete",
        operation_id = "deleteProduct"
    )]
    async fn delete_product(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        service::delete_product(&state, client.actor(auth.0.user), id.0).await?;
        Ok(Done::NoContent)
    }

    /// Add a package to a product
    ///
    /// 409 when the GTIN is taken. Admins.
    #[oai(
        path = "/products/:id/packages",
        method = "post",
        operation_id = "createPackage"
    )]
    async fn create_package(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<PackageInput>,
    ) -> Result<Created<AdminPackage>, ApiError> {
        let fields = body.0.parse()?;
        let package =
            service::create_package(&state, client.actor(auth.0.user), id.0, &fields).await?;
        Ok(Created::Created(Json(package.try_into()?)))
    }

    /// Replace a package
    ///
    /// Admins.
    #[oai(path = "/packages/:id", method = "put", operation_id = "updatePackage")]
    async fn update_package(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<PackageInput>,
    ) -> Result<Json<AdminPackage>, ApiError> {
        let fields = body.0.parse()?;
        let package =
            service::update_package(&state, client.actor(auth.0.user), id.0, &fields).await?;
        Ok(Json(package.try_into()?))
    }

    /// Delete a package
    ///
    /// 409 when it has, or had, a price. Admins.
    #[oai(
        path = "/packages/:id",
        method = "delete",
        operation_id = "deletePackage"
    )]
    async fn delete_package(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        service::delete_package(&state, client.actor(auth.0.user), id.0).await?;
        Ok(Done::NoContent)
    }

    /// Set a store's price for a package
    ///
    /// Recorded as the admin's (`manual`), observed now; the price history keeps the change. 201
    /// when the store had no price for the package, 200 when it is replaced. Admins.
    #[oai(
        path = "/stores/:store_id/prices/:package_id",
        method = "put",
        operation_id = "setPrice"
    )]
    async fn set_price(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        store_id: Path<Uuid>,
        package_id: Path<Uuid>,
        body: Json<PriceInput>,
    ) -> Result<PriceSaved, ApiError> {
        let fields = body.0.parse()?;
        let (price, created) = service::set_price(
            &state,
            client.actor(auth.0.user),
            store_id.0,
            package_id.0,
            &fields,
        )
        .await?;
        Ok(if created {
            PriceSaved::Created(Json(price.into()))
        } else {
            PriceSaved::Replaced(Json(price.into()))
        })
    }

    /// Remove a store's price for a package
    ///
    /// The price history stays. Admins.
    #[oai(
        path = "/stores/:store_id/prices/:package_id",
        method = "delete",
        operation_id = "deletePrice"
    )]
    async fn delete_price(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        store_id: Path<Uuid>,
        package_id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        service::delete_price(&state, client.actor(auth.0.user), store_id.0, package_id.0).await?;
        Ok(Done::NoContent)
    }
}
