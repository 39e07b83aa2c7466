package dev.baton.api.envvars;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.errors.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates the bodies of Trigger.dev's envvars calls (CreateEnvironmentVariableRequestBody,
 * UpdateEnvironmentVariableRequestBody, ImportEnvironmentVariablesRequestBody) before anything is stored: 400
 * {@code Invalid request body: …} naming the field or the variables at fault. A JSON {@code null} counts as
 * absent. Names are POSIX-like ({@code [A-Za-z_][A-Za-z0-9_]*}); Trigger.dev's reserved names are refused, and so
 * are blank values on create and import (Trigger.dev stores none of them either).
 */
final class EnvVarRequests {

    static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** Trigger.dev's blacklist: the SDK sets these itself in a task's process. */
    static final Set<String> RESERVED = Set.of("TRIGGER_SECRET_KEY", "TRIGGER_API_URL");

    private final EnvVarSettings settings;

    EnvVarRequests(EnvVarSettings settings) {
        this.settings = settings;
    }

    record Create(String name, String value, Boolean isSecret) {}

    record Import(Map<String, String> variables, boolean override, Boolean isSecret) {}

    /** {@code POST …/envvars/{env}}: {@code {name, value, isSecret?}}. */
    Create create(JsonNode body) {
        requireObject(body, Set.of("name", "value", "isSecret"));
        String name = requiredString(body, "name");
        checkName(name);
        String value = requiredString(body, "value");
        if (value.isBlank()) throw invalid("value must not be empty");
        checkValueSize(name, value);
        return new Create(name, value, optionalBoolean(body, "isSecret"));
    }

    /** {@code PUT …/envvars/{env}/{name}}: {@code {value}}; an empty value is allowed, as in Trigger.dev. */
    String update(String name, JsonNode body) {
        requireObject(body, Set.of("value"));
        String value = requiredString(body, "value");
        checkValueSize(name, value);
        return value;
    }

    /** {@code POST …/envvars/{env}/import}: {@code {variables, override?, isSecret?}}. */
    Import importing(JsonNode body) {
        requireObject(body, Set.of("variables", "override", "isSecret", "parentVariables", "source"));
        if (present(body, "parentVariables")) {
            throw invalid("parentVariables is for preview branches, which Baton does not have");
        }
        if (present(body, "source")) throw invalid("source is not supported by Baton");
        JsonNode variables = body.get("variables");
        if (!present(body, "variables")) throw invalid("variables is required");
        if (!variables.isObject()) throw invalid("variables must be an object of names to string values");
        if (variables.isEmpty()) throw invalid("variables must hold at least one variable");
        if (variables.size() > settings.maxImportVariables()) {
            throw invalid("variables may hold at most " + settings.maxImportVariables() + " variables");
        }
        Map<String, String> values = new LinkedHashMap<>();
        List<String> blank = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = variables.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            checkName(name);
            if (!field.getValue().isTextual()) throw invalid("variables." + name + " must be a string");
            String value = field.getValue().textValue();
            if (value.isBlank()) blank.add(name);
            checkValueSize(name, value);
            values.put(name, value);
        }
        if (!blank.isEmpty()) throw invalid("these variables have empty values: " + String.join(", ", blank));
        Boolean override = optionalBoolean(body, "override");
        return new Import(values, Boolean.TRUE.equals(override), optionalBoolean(body, "isSecret"));
    }

    private void checkName(String name) {
        if (name.isEmpty()) throw invalid("a variable name must not be empty");
        if (name.length() > settings.maxNameLength()) {
            throw invalid("the variable name " + abbreviated(name) + " is longer than " + settings.maxNameLength()
                    + " characters");
        }
        if (!NAME.matcher(name).matches()) {
            throw invalid("the variable name " + abbreviated(name)
                    + " may only hold letters, digits and underscores, and may not start with a digit");
        }
        if (RESERVED.contains(name)) throw invalid("the variable name " + name + " is reserved");
    }

    private void checkValueSize(String name, String value) {
        // UTF-8 takes at most 3 bytes per UTF-16 char: skip the encoding for values that cannot be too large
        if ((long) value.length() * 3 <= settings.maxValueSize()) return;
        if (value.getBytes(StandardCharsets.UTF_8).length > settings.maxValueSize()) {
            throw ApiException.tooLarge(
                    "The value of " + name + " is larger than " + settings.maxValueSize() + " bytes (UTF-8)");
        }
    }

    private static String abbreviated(String name) {
        return name.length() <= 64 ? "\"" + name + "\"" : "\"" + name.substring(0, 64) + "…\"";
    }

    private static void requireObject(JsonNode body, Set<String> known) {
        if (body == null || !body.isObject()) throw invalid("expected a JSON object");
        List<String> unknown = new ArrayList<>();
        body.fieldNames().forEachRemaining(field -> {
            if (!known.contains(field)) unknown.add(field);
        });
        if (!unknown.isEmpty()) throw invalid("unknown field(s): " + String.join(", ", unknown));
    }

    private static boolean present(JsonNode body, String field) {
        JsonNode value = body.get(field);
        return value != null && !value.isNull();
    }

    private static String requiredString(JsonNode body, String field) {
        if (!present(body, field)) throw invalid(field + " is required");
        JsonNode value = body.get(field);
        if (!value.isTextual()) throw invalid(field + " must be a string");
        return value.textValue();
    }

    private static Boolean optionalBoolean(JsonNode body, String field) {
        if (!present(body, field)) return null;
        JsonNode value = body.get(field);
        if (!value.isBoolean()) throw invalid(field + " must be a boolean");
        return value.booleanValue();
    }

    private static ApiException invalid(String reason) {
        return ApiException.badRequest("Invalid request body: " + reason);
    }
}
