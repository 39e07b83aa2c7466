package dev.baton.node;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The direction of Baton's packages (docs/architecture.md): no package cycle anywhere, and an {@code internal}
 * package is used only below the package that owns it. The node assembles every product module, so its test
 * classpath holds all of their classes; tests and test jars are left out.
 */
class ArchitectureTest {

    private static JavaClasses production;

    @BeforeAll
    static void importBaton() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar") && !location.contains("/test-classes/"))
                .importPackages("dev.baton");
    }

    @Test
    void everyModuleIsImported() {
        for (String pkg : new String[] {
            "dev.baton.engine.run",
            "dev.baton.gateway",
            "dev.baton.api",
            "dev.baton.projections",
            "dev.baton.sdk",
            "dev.baton.examples",
            "dev.baton.node"
        }) {
            if (production.stream().noneMatch(c -> c.getPackageName().startsWith(pkg))) {
                throw new AssertionError(
                        "no classes of " + pkg + " on the test classpath: the rules would not see them");
            }
        }
    }

    /** Each package is its own slice, so a cycle between any two packages (a parent and its child too) fails. */
    @Test
    void packagesDependInOneDirection() {
        slices().matching("dev.baton.(**)").should().beFreeOfCycles().check(production);
    }

    @Test
    void internalPackagesAreUsedOnlyByTheirOwners() {
        classes().should(useInternalPackagesOnlyBelowTheirOwner()).check(production);
    }

    private static ArchCondition<JavaClass> useInternalPackagesOnlyBelowTheirOwner() {
        return new ArchCondition<>("use an internal package only from below the package that owns it") {
            @Override
            public void check(JavaClass origin, ConditionEvents events) {
                for (Dependency dependency : origin.getDirectDependenciesFromSelf()) {
                    String target = dependency.getTargetClass().getPackageName();
                    int internal = target.indexOf(".internal");
                    if (internal < 0 || !target.startsWith("dev.baton.")) continue;
                    String owner = target.substring(0, internal);
                    String from = origin.getPackageName();
                    if (!from.equals(owner) && !from.startsWith(owner + ".")) {
                        events.add(SimpleConditionEvent.violated(dependency, dependency.getDescription()));
                    }
                }
            }
        };
    }
}
