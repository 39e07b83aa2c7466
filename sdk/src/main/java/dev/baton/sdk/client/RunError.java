package dev.baton.sdk.client;

/** Why a run's last attempt failed, as the task code's exception described it. */
public record RunError(String message, String name, String stackTrace) {}
