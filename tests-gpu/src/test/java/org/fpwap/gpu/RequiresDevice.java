package org.fpwap.gpu;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Runs a test class only where a CUDA or MPS device is present; elsewhere JUnit reports it skipped, with the reason. */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresDevice.Condition.class)
@interface RequiresDevice {

    /** The condition behind the annotation. */
    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            TestDevice.Availability a = TestDevice.availability();
            return a.device() != null ? ConditionEvaluationResult.enabled("running on " + a.device())
                    : ConditionEvaluationResult.disabled(a.reason());
        }
    }
}
