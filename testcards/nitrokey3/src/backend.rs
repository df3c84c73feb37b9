//! The trussed backend dispatch the applet needs: trussed's core plus the trussed-auth
//! backend, which keeps the PIN (SET PIN / VERIFY PIN) and the application key.

use trussed::backend::{Backend as _, BackendId};
use trussed::platform::Platform;
use trussed::serde_extensions::{ExtensionDispatch, ExtensionId, ExtensionImpl as _};
use trussed::service::ServiceResources;
use trussed::types::Context;
use trussed_auth::AuthExtension;
use trussed_auth_backend::{AuthBackend, AuthContext, FilesystemLayout};
use trussed_core::api::{reply, request, Reply, Request};
use trussed_core::types::Location;
use trussed_core::Error;

/// Auth first, so its requests never reach the core backend.
pub const BACKENDS: &[BackendId<Backend>] = &[BackendId::Custom(Backend::Auth), BackendId::Core];

/// The one custom backend.
pub enum Backend {
    Auth,
}

/// The one extension.
pub enum Extension {
    Auth,
}

impl From<Extension> for u8 {
    fn from(_: Extension) -> u8 {
        0
    }
}

impl TryFrom<u8> for Extension {
    type Error = Error;
    fn try_from(id: u8) -> Result<Self, Error> {
        match id {
            0 => Ok(Extension::Auth),
            _ => Err(Error::InternalError),
        }
    }
}

pub struct Dispatch {
    auth: AuthBackend,
}

#[derive(Default)]
pub struct DispatchContext {
    auth: AuthContext,
}

impl Dispatch {
    pub fn new() -> Self {
        // the firmware keeps PINs in internal flash
        Self { auth: AuthBackend::new(Location::Internal, FilesystemLayout::V0) }
    }
}

impl ExtensionDispatch for Dispatch {
    type BackendId = Backend;
    type Context = DispatchContext;
    type ExtensionId = Extension;

    fn core_request<P: Platform>(
        &mut self,
        backend: &Backend,
        ctx: &mut Context<DispatchContext>,
        request: &Request,
        resources: &mut ServiceResources<P>,
    ) -> Result<Reply, Error> {
        match backend {
            Backend::Auth => self.auth.request(&mut ctx.core, &mut ctx.backends.auth, request, resources),
        }
    }

    fn extension_request<P: Platform>(
        &mut self,
        backend: &Backend,
        extension: &Extension,
        ctx: &mut Context<DispatchContext>,
        request: &request::SerdeExtension,
        resources: &mut ServiceResources<P>,
    ) -> Result<reply::SerdeExtension, Error> {
        match (backend, extension) {
            (Backend::Auth, Extension::Auth) => {
                self.auth.extension_request_serialized(&mut ctx.core, &mut ctx.backends.auth, request, resources)
            }
        }
    }
}

impl ExtensionId<AuthExtension> for Dispatch {
    type Id = Extension;
    const ID: Extension = Extension::Auth;
}
