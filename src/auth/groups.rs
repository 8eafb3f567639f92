//! From the groups an identity provider (or a forward-auth proxy) names to a role: the admin
//! group makes an admin, the viewer group a viewer, and someone in neither gets no way in.

use super::Role;
use crate::config::GroupRoles;
use crate::error::AppError;

/// The role `groups` give, or the refusal that says why there is none.
pub fn role_for(roles: &GroupRoles, groups: &[&str]) -> Result<Role, AppError> {
    let has = |wanted: &str| groups.iter().any(|g| g.trim() == wanted);
    if has(&roles.admin) {
        Ok(Role::Admin)
    } else if has(&roles.viewer) {
        Ok(Role::Viewer)
    } else {
        Err(not_in_a_group(roles))
    }
}

/// The 403 for someone the provider knows but whose groups give no role here.
pub fn not_in_a_group(roles: &GroupRoles) -> AppError {
    AppError::Forbidden(format!(
        "You are signed in at the identity provider, but you are in neither the group {:?} (admins) \
         nor {:?} (viewers), so Chrontainer has no role for you. Ask whoever runs the provider to add you \
         to one of them (its claim is {:?}).",
        crate::text::clip(&roles.admin, 100),
        crate::text::clip(&roles.viewer, 100),
        crate::text::clip(&roles.claim, 100),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_group_wins_and_no_group_is_refused() {
        let roles = GroupRoles { claim: "groups".into(), admin: "ops".into(), viewer: "staff".into() };
        assert_eq!(role_for(&roles, &["staff", "ops"]).unwrap(), Role::Admin);
        assert_eq!(role_for(&roles, &[" staff"]).unwrap(), Role::Viewer);
        let e = role_for(&roles, &["Ops", "opsx"]).unwrap_err();
        assert_eq!(e.code(), "forbidden");
        assert!(e.to_string().contains("neither the group \"ops\""), "{e}");
        assert!(role_for(&roles, &[]).is_err());
    }
}
