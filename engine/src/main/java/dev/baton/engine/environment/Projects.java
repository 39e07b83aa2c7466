package dev.baton.engine.environment;

import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.Accounts.User;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Organizations and their projects, each with Trigger.dev's four environments, as a user sees them: a user sees
 * and changes only the organizations it is a member of, and what lies below them.
 */
public final class Projects {

    public record Organization(String id, String name, Instant createdAt) {}

    /** {@code ref}: the external reference people and the Trigger.dev CLI use ({@code proj_…}). */
    public record Project(
            String id, String ref, String name, String organizationId, String organizationName, Instant createdAt) {}

    public record ProjectEnvironment(Environment environment, EnvironmentType type, Instant createdAt) {}

    private static final int REF_RANDOM_LENGTH = 20;
    private static final String PROJECT_COLUMNS =
            "p.id, p.ref, p.name, p.organization_id, o.name AS organization_name, p.created_at";
    private static final String MEMBER_JOIN =
            " JOIN baton_organization_members m ON m.organization_id = o.id" + " AND m.user_id = ?";

    private final EnvironmentDirectory directory;
    private final Sql sql;

    public Projects(EnvironmentDirectory directory) {
        this.directory = directory;
        this.sql = directory.sql();
    }

    public List<Organization> organizations(User user) {
        return sql.list(
                "SELECT o.id, o.name, o.created_at FROM baton_organizations o" + MEMBER_JOIN
                        + " ORDER BY o.created_at, o.id",
                Projects::organization,
                user.id());
    }

    public Organization createOrganization(User user, String name) {
        Organization organization = new Organization(
                "org_" + Ids.random(20), name, directory.clock().instant());
        sql.inTransaction(connection -> {
            Sql.update(
                    connection,
                    "INSERT INTO baton_organizations(id, name, created_at) VALUES (?, ?, ?)",
                    organization.id(),
                    name,
                    organization.createdAt());
            Sql.update(
                    connection,
                    "INSERT INTO baton_organization_members(organization_id, user_id) VALUES (?, ?)",
                    organization.id(),
                    user.id());
            return null;
        });
        return organization;
    }

    /** Adds a user to an organization (idempotent). */
    public void addMember(String organizationId, User member) {
        sql.inTransaction(connection -> {
            boolean present = !Sql.list(
                            connection,
                            "SELECT 1 FROM baton_organization_members WHERE organization_id = ? AND user_id = ?",
                            row -> 1,
                            organizationId,
                            member.id())
                    .isEmpty();
            if (!present) {
                Sql.update(
                        connection,
                        "INSERT INTO baton_organization_members(organization_id, user_id) VALUES (?, ?)",
                        organizationId,
                        member.id());
            }
            return null;
        });
    }

    public Optional<Organization> organization(User user, String organizationId) {
        return sql.one(
                "SELECT o.id, o.name, o.created_at FROM baton_organizations o" + MEMBER_JOIN + " WHERE o.id = ?",
                Projects::organization,
                user.id(),
                organizationId);
    }

    /** The organization an environment belongs to. */
    public String organizationIdOf(Environment environment) {
        return sql.one(
                        "SELECT organization_id FROM baton_projects WHERE id = ?",
                        row -> row.getString(1),
                        environment.projectId())
                .orElseThrow(() -> new IllegalStateException("no project " + environment.projectId()));
    }

    /** A new project with its four environments; the caller must be a member of the organization. */
    public Project createProject(Organization organization, String name) {
        String ref = "proj_" + Ids.random(REF_RANDOM_LENGTH);
        Instant now = directory.clock().instant();
        sql.inTransaction(connection -> {
            Sql.update(
                    connection,
                    "INSERT INTO baton_projects(id, organization_id, ref, name, created_at) VALUES (?, ?, ?, ?, ?)",
                    ref,
                    organization.id(),
                    ref,
                    name,
                    now);
            for (EnvironmentType type : EnvironmentType.values()) {
                Sql.update(
                        connection,
                        "INSERT INTO baton_environments(id, project_id, slug, created_at) VALUES (?, ?, ?, ?)",
                        EnvironmentDirectory.newEnvironmentId(),
                        ref,
                        type.slug(),
                        now);
            }
            return null;
        });
        return new Project(ref, ref, name, organization.id(), organization.name(), now);
    }

    public List<Project> projects(User user) {
        return sql.list(
                "SELECT " + PROJECT_COLUMNS + " FROM baton_projects p JOIN baton_organizations o"
                        + " ON o.id = p.organization_id" + MEMBER_JOIN + " ORDER BY p.created_at, p.id",
                Projects::project,
                user.id());
    }

    public Optional<Project> project(User user, String ref) {
        return sql.one(
                "SELECT " + PROJECT_COLUMNS + " FROM baton_projects p JOIN baton_organizations o"
                        + " ON o.id = p.organization_id" + MEMBER_JOIN + " WHERE p.ref = ?",
                Projects::project,
                user.id(),
                ref);
    }

    /** The project an environment belongs to, whoever asks (the caller already holds the environment's key). */
    public Project projectOf(Environment environment) {
        return sql.one(
                        "SELECT " + PROJECT_COLUMNS + " FROM baton_projects p JOIN baton_organizations o"
                                + " ON o.id = p.organization_id WHERE p.id = ?",
                        Projects::project,
                        environment.projectId())
                .orElseThrow(() -> new IllegalStateException("no project " + environment.projectId()));
    }

    /** In Trigger.dev's order: development, staging, production, preview. */
    public List<ProjectEnvironment> environments(Project project) {
        return sql
                .list(
                        "SELECT " + EnvironmentDirectory.ENVIRONMENT_COLUMNS + ", e.created_at"
                                + " FROM baton_environments e JOIN baton_projects p ON p.id = e.project_id"
                                + " WHERE p.id = ? ORDER BY e.created_at, e.id",
                        row -> {
                            Environment environment = EnvironmentDirectory.environment(row);
                            return new ProjectEnvironment(
                                    environment,
                                    EnvironmentType.named(environment.slug()).orElse(EnvironmentType.PRODUCTION),
                                    Sql.instant(row, "created_at"));
                        },
                        project.id())
                .stream()
                .sorted(java.util.Comparator.comparing(ProjectEnvironment::type))
                .toList();
    }

    /** The environment of a project a user may see, named by slug or type. */
    public Optional<Environment> environment(User user, String projectRef, String name) {
        return project(user, projectRef).flatMap(project -> directory.environment(project.ref(), name));
    }

    private static Organization organization(ResultSet row) throws SQLException {
        return new Organization(row.getString("id"), row.getString("name"), Sql.instant(row, "created_at"));
    }

    private static Project project(ResultSet row) throws SQLException {
        return new Project(
                row.getString("id"),
                row.getString("ref"),
                row.getString("name"),
                row.getString("organization_id"),
                row.getString("organization_name"),
                Sql.instant(row, "created_at"));
    }
}
